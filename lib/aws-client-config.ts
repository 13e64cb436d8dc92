import { dynamoDbClientFromEnvironment, type DynamoDbClient } from './aws/dynamodb-client';
import type { Tracing } from './tracing';

/**
 * The configuration of every AWS SDK client this service creates. Without it a dependency that
 * accepts a connection and never answers (a black hole) holds the call until the Lambda times
 * out, and the caller gets the platform's timeout instead of one of our errors. DynamoDB,
 * Secrets Manager, EventBridge and SQS answer in milliseconds; two attempts of at most 2 s each
 * end such a call in about 4 s as a DependencyUnavailableError. (The smithy handler only warns on
 * a request timeout unless told to throw.)
 */
export const AWS_CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
} as const;

/** The same bounds for our own DynamoDB client, which replaces the SDK's on the request path. */
export const DYNAMODB_CLIENT_SETTINGS = {
  maxAttempts: AWS_CLIENT_CONFIG.maxAttempts,
  connectTimeoutMs: AWS_CLIENT_CONFIG.requestHandler.connectionTimeout,
  requestTimeoutMs: AWS_CLIENT_CONFIG.requestHandler.requestTimeout,
} as const;

/**
 * The DynamoDB client of a cold start. Its credentials, region and endpoint come from the
 * process environment, as the SDK's did. X-Ray's SDK capture cannot see it, so each call is a
 * subsegment of its own.
 */
export function createDynamoDb(tracing: Pick<Tracing, 'traced'>): DynamoDbClient {
  return dynamoDbClientFromEnvironment(process.env, {
    ...DYNAMODB_CLIENT_SETTINGS,
    around: (operation, work) => tracing.traced(`DynamoDB ${operation}`, {}, work),
  });
}
