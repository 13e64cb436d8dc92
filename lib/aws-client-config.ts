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
