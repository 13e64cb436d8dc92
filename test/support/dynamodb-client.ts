import { DYNAMODB_CLIENT_SETTINGS } from '../../lib/aws-client-config';
import {
  dynamoDbClientFromEnvironment,
  type DynamoDbClient,
  type DynamoDbClientSettings,
} from '../../lib/aws/dynamodb-client';

/**
 * The service's own DynamoDB client as the containers create it, for the moto the integration
 * globalSetup started (its AWS_* variables); `endpoint` aims it elsewhere (a port nobody listens
 * on, a black hole). Unit tests get dummy credentials and region.
 */
export function serviceDynamoDb(
  options: { endpoint?: string } & Partial<DynamoDbClientSettings> = {},
): DynamoDbClient {
  const { endpoint, ...settings } = options;
  return dynamoDbClientFromEnvironment(
    {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      ...process.env,
      ...(endpoint ? { AWS_ENDPOINT_URL_DYNAMODB: endpoint } : {}),
    },
    { ...DYNAMODB_CLIENT_SETTINGS, ...settings },
  );
}
