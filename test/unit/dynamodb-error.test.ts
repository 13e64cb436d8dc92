import {
  DynamoDbError,
  UNREADABLE_RESPONSE,
  dynamoDbErrorFrom,
  isConditionalCheckFailed,
  storesExactly,
} from '../../lib/aws/dynamodb-error';
import { refusedWrite } from './conditional-refusal';

describe("DynamoDB's error answers", () => {
  it('are named after the error type, with the message and the returned item', () => {
    const error = dynamoDbErrorFrom(
      400,
      JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'TASK#x' } },
      }),
    );

    expect([error.name, error.message, error.httpStatus, error.item]).toEqual([
      'ConditionalCheckFailedException',
      'The conditional request failed',
      400,
      { pk: { S: 'TASK#x' } },
    ]);
  });

  it('keep the returned item out of their enumerable fields, where a logger would copy it', () => {
    const error = new DynamoDbError('ConditionalCheckFailedException', 'no', 400, {
      task: { S: 'stored task' },
    });

    expect(error.item).toEqual({ task: { S: 'stored task' } });
    expect(Object.keys(error)).not.toContain('item');
    expect(JSON.stringify(error)).not.toContain('stored task');
  });

  it.each([
    ['a body that is not JSON', 'Service Unavailable'],
    ['JSON null', 'null'],
    ['a JSON string', '"busy"'],
    ['a JSON number', '503'],
  ])('are unreadable when the body is %s, named by the HTTP status', (_what, body) => {
    const error = dynamoDbErrorFrom(503, body);

    expect([error.name, error.message]).toEqual([UNREADABLE_RESPONSE, 'HTTP 503']);
  });

  it('without a type are named by their HTTP status, and without a message say the status', () => {
    const error = dynamoDbErrorFrom(418, JSON.stringify({ message: 42 }));

    expect([error.name, error.message]).toEqual(['DynamoDbHttp418', 'HTTP 418']);
  });

  it('with an empty type are named by their HTTP status', () => {
    expect(dynamoDbErrorFrom(400, JSON.stringify({ __type: '' })).name).toBe('DynamoDbHttp400');
  });

  it.each([null, 'the item', 7])('carry no item when Item is not an object (%p)', (item) => {
    expect(dynamoDbErrorFrom(400, JSON.stringify({ __type: 'X', Item: item })).item).toBe(
      undefined,
    );
  });

  it.each(['InternalServerError', 'ServiceUnavailable', 'ThrottlingException'])(
    'are worth a second attempt when DynamoDB calls them %s, whatever the status',
    (type) => {
      expect(dynamoDbErrorFrom(400, JSON.stringify({ __type: type })).retryable).toBe(true);
    },
  );

  it('are not worth a second attempt when DynamoDB refused the request itself', () => {
    expect(
      dynamoDbErrorFrom(400, JSON.stringify({ __type: 'ValidationException' })).retryable,
    ).toBe(false);
  });

  it('tell a lost condition only from a DynamoDB error of that name', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'ConditionalCheckFailedException' });

    expect([
      isConditionalCheckFailed(new DynamoDbError('ConditionalCheckFailedException', 'x', 400)),
      isConditionalCheckFailed(new DynamoDbError('ValidationException', 'x', 400)),
      isConditionalCheckFailed(lookalike),
    ]).toEqual([true, false, false]);
  });
});

describe('storesExactly: whether a refused conditional write met its own item', () => {
  const ITEM = { pk: { S: 'TASK#x' }, version: { N: '2' }, taskName: { NULL: true as const } };

  it('is true on a retry for the same attributes and values, as read off the wire', () => {
    expect(storesExactly(refusedWrite(JSON.parse(JSON.stringify(ITEM))), ITEM)).toBe(true);
  });

  it('is false on the first attempt, whose refusal can only be another writer', () => {
    expect(storesExactly(refusedWrite(ITEM, 1), ITEM)).toBe(false);
  });

  it('is false when a value differs', () => {
    expect(storesExactly(refusedWrite({ ...ITEM, version: { N: '3' } }), ITEM)).toBe(false);
  });

  it('is false when a value has another type', () => {
    expect(storesExactly(refusedWrite({ ...ITEM, version: { S: '2' } }), ITEM)).toBe(false);
  });

  it('is false when the stored item has an attribute more', () => {
    expect(storesExactly(refusedWrite({ ...ITEM, marker: { S: 'm' } }), ITEM)).toBe(false);
  });

  it('is false when the stored item lacks an attribute', () => {
    expect(storesExactly(refusedWrite({ pk: ITEM.pk, version: ITEM.version }), ITEM)).toBe(false);
  });

  it('is false when the refusal returned no item', () => {
    expect(storesExactly(refusedWrite(), ITEM)).toBe(false);
  });
});
