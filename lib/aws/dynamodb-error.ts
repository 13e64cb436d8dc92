import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** What DynamoDB answers when a condition expression was not met. */
export const CONDITIONAL_CHECK_FAILED = 'ConditionalCheckFailedException';

/** An answer that is not DynamoDB's JSON: a proxy's page, a cut-off body. */
export const UNREADABLE_RESPONSE = 'UnreadableDynamoDbResponse';

/** Error types a second attempt may get past, as the AWS SDK's standard retry strategy has them. */
const TRANSIENT_TYPES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/**
 * An error DynamoDB answered with. `name` is its error type (the part of `__type` after `#`), as
 * the AWS SDK names its exceptions, so callers match on the same names.
 */
export class DynamoDbError extends Error {
  override readonly name: string;
  /**
   * The item as stored, when a conditional write asked for it
   * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). Not enumerable: a logger that copies an
   * error's fields must not write a stored task into the logs.
   */
  declare readonly item: Record<string, AttributeValue> | undefined;
  /** The attempt of the call that got this answer: an earlier one may have been carried out. */
  attempt = 1;

  constructor(
    type: string,
    message: string,
    readonly httpStatus: number,
    item?: Record<string, AttributeValue>,
  ) {
    super(message);
    this.name = type;
    Object.defineProperty(this, 'item', { value: item, enumerable: false });
  }

  get retryable(): boolean {
    return this.httpStatus >= 500 || TRANSIENT_TYPES.has(this.name);
  }
}

export function isConditionalCheckFailed(error: unknown): error is DynamoDbError {
  return error instanceof DynamoDbError && error.name === CONDITIONAL_CHECK_FAILED;
}

/**
 * Whether a conditional write refused on a retry met exactly the item it sends, as the refusal
 * returned it (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`): the client retries an attempt
 * that timed out, and DynamoDB may have written that attempt all the same. A refusal of the first
 * attempt is never our own write; on a retry, an identical item written by someone else (same
 * version, times to the millisecond and task) would pass for ours.
 */
export function storesExactly(error: DynamoDbError, item: Record<string, AttributeValue>): boolean {
  const stored = error.item;
  if (error.attempt < 2 || stored === undefined) return false;
  const names = Object.keys(item);
  // Sound for the values these items hold (strings, NULL, integers written as String(n), which
  // DynamoDB returns as written), not for sets or decimals it may normalize.
  return (
    Object.keys(stored).length === names.length &&
    names.every((name) => JSON.stringify(stored[name]) === JSON.stringify(item[name]))
  );
}

/** `com.amazonaws.dynamodb.v20120810#ResourceNotFoundException` → `ResourceNotFoundException`. */
function errorType(rawType: unknown, httpStatus: number): string {
  if (typeof rawType !== 'string' || rawType === '') return `DynamoDbHttp${httpStatus}`;
  return rawType.slice(rawType.lastIndexOf('#') + 1);
}

/** The error of a non-2xx answer; a body that is not DynamoDB's error JSON still gives one. */
export function dynamoDbErrorFrom(httpStatus: number, body: string): DynamoDbError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return new DynamoDbError(UNREADABLE_RESPONSE, `HTTP ${httpStatus}`, httpStatus);
  }
  if (parsed === null || typeof parsed !== 'object') {
    return new DynamoDbError(UNREADABLE_RESPONSE, `HTTP ${httpStatus}`, httpStatus);
  }
  const fields = parsed as Record<string, unknown>;
  const message = fields.message ?? fields.Message;
  const item = fields.Item;
  return new DynamoDbError(
    errorType(fields.__type, httpStatus),
    typeof message === 'string' ? message : `HTTP ${httpStatus}`,
    httpStatus,
    item !== null && typeof item === 'object'
      ? (item as Record<string, AttributeValue>)
      : undefined,
  );
}
