import { createDynamoDb } from '../../lib/aws-client-config';
import { createContainer } from '../../lib/container';
import { createHistoryReaderContainer } from '../../lib/http/history-container';
import { createStreamConsumerContainer } from '../../lib/status/stream-consumer-container';
import { createWatchRoutesContainer } from '../../lib/watches/watch-container';

/** What Lambda sets for the execution role; the containers' DynamoDB client reads it. */
const LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example-secret',
};

const ENV = {
  HUAWEICLOUD_SECRET_ID: 'huawei-aksk',
  HUAWEICLOUD_REGION: 'cn-north-4',
  HUAWEICLOUD_PROJECT_ID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  STATUS_TABLE_NAME: 'status',
  HISTORY_TABLE_NAME: 'status-history',
  EVENT_BUS_NAME: 'status-events',
  STREAM_FAILURE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/stream-failures',
  WATCHES_TABLE_NAME: 'watches',
};

interface BoundedClient {
  config: {
    maxAttempts: () => Promise<number>;
    requestHandler: { configProvider?: Promise<Record<string, unknown>> } | object;
  };
}

/** What the client's HTTP handler was configured with, as the SDK resolved it. */
async function handlerOptions(client: BoundedClient): Promise<Record<string, unknown>> {
  const handler = client.config.requestHandler as {
    configProvider?: Promise<Record<string, unknown>>;
  };
  return (await handler.configProvider) ?? {};
}

describe('the AWS clients the containers create', () => {
  const saved = process.env;
  beforeEach(() => {
    process.env = { ...saved, ...LAMBDA_ENV };
  });
  afterEach(() => {
    process.env = saved;
  });

  const sdkClients = {
    observers: () => [createContainer(ENV).credentials['client' as never]],
    'stream consumer': () => {
      const c = createStreamConsumerContainer(ENV);
      return [c.sqs, c.publisher['options' as never]['client' as never]];
    },
  };

  it.each(Object.entries(sdkClients))(
    '%s: two attempts, each bounded by a request timeout that throws',
    async (_name, clientsOf) => {
      for (const client of clientsOf() as BoundedClient[]) {
        expect(await client.config.maxAttempts()).toBe(2);
        expect(await handlerOptions(client)).toMatchObject({
          requestTimeout: 2_000,
          connectionTimeout: 1_000,
          throwOnRequestTimeout: true,
        });
      }
    },
  );

  const dynamoDbClients = {
    observers: () => createContainer(ENV).dynamoDb,
    'stream consumer': () => createStreamConsumerContainer(ENV).history['client' as never],
    'history route': () => createHistoryReaderContainer(ENV).store['client' as never],
    'watch routes': () => createWatchRoutesContainer(ENV).watches['client' as never],
  };

  it.each(Object.entries(dynamoDbClients))(
    '%s: DynamoDB gets two attempts of at most 2 s, connecting within 1 s',
    (_name, clientOf) => {
      expect((clientOf() as unknown as { options: object }).options).toMatchObject({
        maxAttempts: 2,
        connectTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
      });
    },
  );
});

describe('the DynamoDB client of a cold start', () => {
  const saved = process.env;
  afterEach(() => {
    process.env = saved;
  });

  it('runs each call in a tracing subsegment named after its operation', async () => {
    process.env = { ...saved, ...LAMBDA_ENV };
    const names: string[] = [];
    const dynamoDb = createDynamoDb({
      traced: <T>(name: string, _annotations: unknown, _work: () => Promise<T>) => {
        names.push(name);
        return Promise.resolve({} as T);
      },
    });

    await dynamoDb.getItem({ TableName: 'status', Key: { pk: { S: 'x' } } });

    expect(names).toEqual(['DynamoDB GetItem']);
  });

  it('refuses to start without the credentials Lambda provides, naming the variable', () => {
    process.env = { ...saved, ...LAMBDA_ENV, AWS_SECRET_ACCESS_KEY: undefined };

    expect(() => createDynamoDb({ traced: (_name, _annotations, work) => work() })).toThrow(
      /AWS_SECRET_ACCESS_KEY/,
    );
  });
});
