import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDbError } from '../../lib/aws/dynamodb-error';

/**
 * DynamoDB's refusal of a conditional write, returning `item` as stored, as the client hands it
 * over after `attempt` attempts (a retry unless told otherwise).
 */
export function refusedWrite(item?: Record<string, AttributeValue>, attempt = 2): DynamoDbError {
  const error = new DynamoDbError('ConditionalCheckFailedException', 'no', 400, item);
  error.attempt = attempt;
  return error;
}
