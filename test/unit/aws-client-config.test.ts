import { createContainer } from '../../lib/container';
import { createHistoryReaderContainer } from '../../lib/http/history-container';
import { createStreamConsumerContainer } from '../../lib/status/stream-consumer-container';

const ENV = {
  HUAWEICLOUD_SECRET_ID: 'huawei-aksk',
  HUAWEICLOUD_REGION: 'cn-north-4',
  HUAWEICLOUD_PROJECT_ID: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  STATUS_TABLE_NAME: 'status',
  HISTORY_TABLE_NAME: 'status-history',
  EVENT_BUS_NAME: 'status-events',
  STREAM_FAILURE_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/stream-failures',
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
  const containers = {
    observers: () => {
      const c = createContainer(ENV);
      return { dynamoDb: c.dynamoDb, secretsManager: c.credentials['client' as never] };
    },
    'stream consumer': () => {
      const c = createStreamConsumerContainer(ENV);
      return { sqs: c.sqs, eventBridge: c.publisher['options' as never]['client' as never] };
    },
    'history route': () => {
      const c = createHistoryReaderContainer(ENV);
      return { dynamoDb: c.store['client' as never] };
    },
  };

  it.each(Object.entries(containers))(
    '%s: two attempts, each bounded by a request timeout that throws',
    async (_name, clientsOf) => {
      for (const client of Object.values(clientsOf()) as BoundedClient[]) {
        expect(await client.config.maxAttempts()).toBe(2);
        expect(await handlerOptions(client)).toMatchObject({
          requestTimeout: 2_000,
          connectionTimeout: 1_000,
          throwOnRequestTimeout: true,
        });
      }
    },
  );
});
