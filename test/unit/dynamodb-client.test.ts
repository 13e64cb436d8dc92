import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DynamoDbClient,
  dynamoDbClientFromEnvironment,
  dynamoDbEndpoint,
  type DynamoDbClientOptions,
} from '../../lib/aws/dynamodb-client';
import { isConditionalCheckFailed } from '../../lib/aws/dynamodb-error';
import { ConfigurationError } from '../../lib/errors';
import type { HttpTransport } from '../../lib/huawei/http-transport';
import { SignatureV4 } from '@smithy/signature-v4';
import { FakeClock, sequenceRandom } from '../support/fake-clock';
import { NodeSha256 } from '../support/node-sha256';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Reply = (res: ServerResponse) => void;

const json =
  (status: number, body: unknown, type = 'application/x-amz-json-1.0'): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
/** Never answers: the attempt can only time out. */
const silence: Reply = () => undefined;

const CREDENTIALS = {
  accessKeyId: 'AKIAUNITTEST',
  secretAccessKey: 'unit-test-secret-access-key',
  sessionToken: 'unit-test-session-token',
};

/** A local DynamoDB stand-in answering each request with the next reply (the last one repeats). */
let server: Server;
let received: Received[];
let replies: Reply[];
let endpoint: URL;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  replies = [json(200, {})];
});

function client(options: Partial<DynamoDbClientOptions> & { clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock();
  return {
    clock,
    dynamoDb: new DynamoDbClient({
      endpoint,
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      maxAttempts: 2,
      connectTimeoutMs: 1_000,
      requestTimeoutMs: 2_000,
      clock,
      random: sequenceRandom(0.5),
      ...options,
    }),
  };
}

/** A transport that answers every request with this status and body, never touching the network. */
function answering(status: number, body: string): HttpTransport {
  return () => Promise.resolve({ status, headers: {}, body: Buffer.from(body) });
}

const GET_INPUT = { TableName: 'status', Key: { pk: { S: 'TASK#p/i/t' } }, ConsistentRead: true };

describe('the DynamoDB client: requests', () => {
  it("POSTs the operation's input as is, as DynamoDB's JSON protocol", async () => {
    const { dynamoDb } = client();

    await dynamoDb.getItem(GET_INPUT);

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'content-type': 'application/x-amz-json-1.0',
        host: endpoint.host,
      },
    });
    expect(JSON.parse(received[0]!.body)).toEqual(GET_INPUT);
  });

  it('signs each request with SigV4 for dynamodb in its region, with the session token', async () => {
    const { dynamoDb } = client();

    await dynamoDb.putItem({ TableName: 'status', Item: { pk: { S: 'x' } } });

    const { headers } = received[0]!;
    expect(headers['x-amz-date']).toBe('20261123T120000Z');
    expect(headers['x-amz-security-token']).toBe('unit-test-session-token');
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAUNITTEST\/20261123\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$/,
    );
  });

  it.each([
    ['getItem', 'GetItem'],
    ['putItem', 'PutItem'],
    ['deleteItem', 'DeleteItem'],
    ['query', 'Query'],
    ['scan', 'Scan'],
    ['batchGetItem', 'BatchGetItem'],
    ['batchWriteItem', 'BatchWriteItem'],
  ] as const)('sends %s as DynamoDB_20120810.%s', async (method, operation) => {
    const { dynamoDb } = client();

    await (dynamoDb[method] as (input: object) => Promise<unknown>)({ TableName: 'status' });

    expect(received.map((r) => r.headers['x-amz-target'])).toEqual([
      `DynamoDB_20120810.${operation}`,
    ]);
  });

  it('sends a signature the AWS SDK signer computes the same over what arrived', async () => {
    const { dynamoDb } = client();

    await dynamoDb.putItem({ TableName: 'status', Item: { pk: { S: 'TASK#p/i/t' } } });

    const [request] = received;
    const signed = ['content-type', 'host', 'x-amz-date', 'x-amz-security-token', 'x-amz-target'];
    const bySdk = await new SignatureV4({
      credentials: CREDENTIALS,
      region: 'eu-west-1',
      service: 'dynamodb',
      sha256: NodeSha256,
      applyChecksum: false,
    }).sign(
      {
        method: request!.method,
        protocol: 'http:',
        hostname: endpoint.hostname,
        path: request!.url,
        query: {},
        headers: Object.fromEntries(signed.map((name) => [name, String(request!.headers[name])])),
        body: request!.body,
      },
      { signingDate: new Date(Date.UTC(2026, 10, 23, 12, 0, 0)) },
    );
    expect(request!.headers.authorization).toBe(bySdk.headers.authorization);
  });

  it('answers the parsed JSON output', async () => {
    replies = [json(200, { Item: { pk: { S: 'TASK#p/i/t' } } })];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).resolves.toEqual({
      Item: { pk: { S: 'TASK#p/i/t' } },
    });
  });

  it('runs each call through the `around` hook under its operation name', async () => {
    const operations: string[] = [];
    const { dynamoDb } = client({
      around: (operation, work) => {
        operations.push(operation);
        return work();
      },
    });

    await dynamoDb.query({ TableName: 'status' });
    await dynamoDb.batchWriteItem({ RequestItems: {} });

    expect(operations).toEqual(['Query', 'BatchWriteItem']);
  });
});

describe('the DynamoDB client: errors', () => {
  it("names the error after DynamoDB's error type, with its message", async () => {
    replies = [
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
        message: 'Requested resource not found',
      }),
    ];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Requested resource not found',
      httpStatus: 400,
    });
  });

  it('reads the message of an error that spells it `Message`', async () => {
    replies = [json(400, { __type: 'ValidationException', Message: 'bad key' })];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'bad key',
    });
  });

  it('gives a lost condition the stored item it was asked to return, and does not retry it', async () => {
    replies = [
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'x' } },
      }),
    ];
    const { dynamoDb } = client();

    const error: unknown = await dynamoDb
      .putItem({ TableName: 'status', Item: { pk: { S: 'x' } } })
      .catch((e: unknown) => e);

    expect(isConditionalCheckFailed(error)).toBe(true);
    expect(error).toMatchObject({ item: { pk: { S: 'x' } } });
    expect(received).toHaveLength(1);
  });

  const REFUSED = json(400, {
    __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
  });
  it.each([
    ['the first, when it got the refusal', [REFUSED], 1],
    ['the second, after a 5xx', [json(500, { __type: 'InternalServerError' }), REFUSED], 2],
  ])('names the attempt that got the refusal: %s', async (_case, answers, attempt) => {
    replies = answers;
    const { dynamoDb } = client();

    const error: unknown = await dynamoDb
      .putItem({ TableName: 'status', Item: { pk: { S: 'x' } } })
      .catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException', attempt });
  });

  it('refuses a successful answer that is not JSON', async () => {
    replies = [json(200, '<html>proxy</html>', 'text/html')];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'UnreadableDynamoDbResponse',
    });
  });

  it.each(['null', '[]', '"text"', '7'])(
    'refuses a successful answer whose JSON is %s, not an object',
    async (body) => {
      replies = [json(200, body)];
      const { dynamoDb } = client();

      await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
        name: 'UnreadableDynamoDbResponse',
        message: 'The answer is not a JSON object.',
        httpStatus: 200,
      });
    },
  );

  it.each([200, 204, 299])('takes an HTTP %i answer as the output', async (status) => {
    const { dynamoDb } = client({ transport: answering(status, '{"Item":{}}') });

    await expect(dynamoDb.getItem(GET_INPUT)).resolves.toEqual({ Item: {} });
  });

  // node's parser never hands over a 1xx as the final answer; an injected transport could.
  it.each([199, 300, 304])('takes an HTTP %i answer as an error', async (status) => {
    const { dynamoDb } = client({ transport: answering(status, '{"Item":{}}') });

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({ httpStatus: status });
  });

  it('names an error answer without a JSON body by its HTTP status', async () => {
    replies = [json(403, 'Forbidden', 'text/plain')];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'UnreadableDynamoDbResponse',
      httpStatus: 403,
    });
  });
});

describe('the DynamoDB client: retries', () => {
  it.each([
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
  ])('tries a call throttled with %s once more, after a jittered pause', async (type) => {
    replies = [json(400, { __type: `com.amazonaws.dynamodb.v20120810#${type}` }), json(200, {})];
    const { dynamoDb, clock } = client({ random: sequenceRandom(0.5) });

    await expect(dynamoDb.getItem(GET_INPUT)).resolves.toEqual({});

    expect(received).toHaveLength(2);
    expect(clock.sleeps).toEqual([50]);
  });

  it('tries a call that failed with a 5xx once more', async () => {
    replies = [json(500, { __type: 'InternalServerError' }), json(200, {})];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).resolves.toEqual({});
    expect(received).toHaveLength(2);
  });

  it('gives up after two attempts', async () => {
    replies = [json(503, { __type: 'ServiceUnavailable' })];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'ServiceUnavailable',
    });
    expect(received).toHaveLength(2);
  });

  it('does not retry a request DynamoDB refused as invalid', async () => {
    replies = [json(400, { __type: 'ValidationException', message: 'no' })];
    const { dynamoDb } = client();

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'ValidationException',
    });
    expect(received).toHaveLength(1);
  });

  it('signs the second attempt afresh, at its own time', async () => {
    replies = [json(500, {}), json(200, {})];
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 12, 0, 0, 950));
    const { dynamoDb } = client({ clock, random: sequenceRandom(0.99) });

    await dynamoDb.getItem(GET_INPUT);

    expect(received.map((r) => r.headers['x-amz-date'])).toEqual([
      '20261123T120000Z',
      '20261123T120001Z',
    ]);
  });

  it('ends an attempt that gets no answer at the request timeout, and tries once more', async () => {
    replies = [silence];
    const { dynamoDb } = client({ requestTimeoutMs: 50 });

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'TransportError',
      kind: 'timeout',
    });
    expect(received).toHaveLength(2);
  });

  it('tries once more when the connection is refused', async () => {
    const { dynamoDb, clock } = client({
      endpoint: new URL('http://127.0.0.1:9'),
      random: sequenceRandom(0.5),
    });

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toMatchObject({
      name: 'TransportError',
      kind: 'network',
    });
    // The pause before the second attempt is the retry's only trace: nothing listens.
    expect(clock.sleeps).toEqual([50]);
  });

  it('does not retry a failure that is neither an answer nor a transport error', async () => {
    let attempts = 0;
    const { dynamoDb } = client({
      transport: () => {
        attempts += 1;
        return Promise.reject(new RangeError('a bug, not an outage'));
      },
    });

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toThrow(RangeError);
    expect(attempts).toBe(1);
  });

  it('passes a failure that is not an answer through untouched, even a frozen one', async () => {
    const failure = Object.freeze(new RangeError('a bug, not an outage'));
    const { dynamoDb } = client({ transport: () => Promise.reject(failure) });

    const error: unknown = await dynamoDb.getItem(GET_INPUT).catch((e: unknown) => e);

    expect(error).toBe(failure);
  });

  it('does not retry an error that only looks like a transport failure', async () => {
    let attempts = 0;
    const { dynamoDb } = client({
      transport: () => {
        attempts += 1;
        return Promise.reject(Object.assign(new Error('not ours'), { kind: 'network' }));
      },
    });

    await expect(dynamoDb.getItem(GET_INPUT)).rejects.toThrow('not ours');
    expect(attempts).toBe(1);
  });

  it('stops at once, without retrying, when the caller aborts', async () => {
    replies = [silence];
    const { dynamoDb } = client();
    const controller = new AbortController();

    const call = dynamoDb.getItem(GET_INPUT, { signal: controller.signal });
    // Abort once the request is in, not after a guess at how long that takes.
    for (let waited = 0; received.length === 0 && waited < 200; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    controller.abort();

    await expect(call).rejects.toMatchObject({ name: 'TransportError', kind: 'aborted' });
    expect(received).toHaveLength(1);
  });
});

describe('the DynamoDB client from the environment', () => {
  const LAMBDA = {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIAFROMENV',
    AWS_SECRET_ACCESS_KEY: 'secret-from-env',
  };
  const settings = { maxAttempts: 2, connectTimeoutMs: 1_000, requestTimeoutMs: 2_000 };

  it.each(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'])(
    'refuses to start without %s, naming it',
    (name) => {
      const env: Record<string, string> = { ...LAMBDA };
      delete env[name];

      const start = () => dynamoDbClientFromEnvironment(env, settings);

      expect(start).toThrow(ConfigurationError);
      expect(start).toThrow(name);
    },
  );

  it('never puts a credential into its refusal', () => {
    const error: unknown = (() => {
      try {
        dynamoDbClientFromEnvironment(
          { ...LAMBDA, AWS_SESSION_TOKEN: '', AWS_REGION: '' },
          settings,
        );
      } catch (e) {
        return e;
      }
    })();

    const message = String((error as Error).message);
    expect(message).toContain('AWS_REGION');
    for (const value of [LAMBDA.AWS_ACCESS_KEY_ID, LAMBDA.AWS_SECRET_ACCESS_KEY]) {
      expect(message).not.toContain(value);
    }
  });

  it('uses the session token when Lambda gives one', () => {
    const dynamoDb = dynamoDbClientFromEnvironment(
      { ...LAMBDA, AWS_SESSION_TOKEN: 'token-from-env' },
      settings,
    );

    expect(dynamoDb['options'].credentials).toEqual({
      accessKeyId: 'AKIAFROMENV',
      secretAccessKey: 'secret-from-env',
      sessionToken: 'token-from-env',
    });
  });

  it.each([
    [{}, 'https://dynamodb.eu-west-1.amazonaws.com/'],
    [{ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }, 'http://127.0.0.1:5000/'],
    [
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_DYNAMODB: 'http://ddb:8000' },
      'http://ddb:8000/',
    ],
  ])('finds DynamoDB at the SDK endpoint variables, else the region (%j)', (env, expected) => {
    expect(dynamoDbEndpoint(env, 'eu-west-1').href).toBe(expected);
  });
});
