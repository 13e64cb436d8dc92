import { isConditionalCheckFailed } from '../aws/dynamodb-error';
import { ConfigurationError, DependencyUnavailableError } from '../errors';

/** A table as the deployment names it: what it is, and the variable that names it. */
export interface TableName {
  readonly what: string;
  readonly variable: string;
  readonly name: string;
}

/**
 * Runs a DynamoDB call, translating the client's errors into our error model: a missing table is a
 * deployment problem naming its variable, anything else DynamoDB being unavailable. A lost
 * condition passes through untouched: what it means is the caller's to decide.
 */
export async function callDynamoDb<T>(table: TableName, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw error;
    if ((error as { name?: string }).name === 'ResourceNotFoundException') {
      throw new ConfigurationError(
        `The ${table.what} (${table.variable}) "${table.name}" does not exist.`,
        error,
      );
    }
    throw new DependencyUnavailableError('Amazon DynamoDB', error);
  }
}
