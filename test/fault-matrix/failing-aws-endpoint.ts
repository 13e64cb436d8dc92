import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AWS_CLIENT_CONFIG } from '../../lib/aws-client-config';
import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { createHttpTransport } from '../../lib/huawei/http-transport';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { freePort } from '../support/moto';

export type EndpointFailure = 'connection-refused' | 'server-error' | 'black-hole';

/** An AWS endpoint that fails every request; `close` releases whatever it holds. */
export interface FailingEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `connection-refused`: a loopback port nobody listens on. `server-error`: a server answering
 * every request `500` with the JSON error the AWS JSON protocols use, as a failing region would.
 * `black-hole`: a server that accepts the connection, reads the request and never answers.
 */
export async function failingEndpoint(failure: EndpointFailure): Promise<FailingEndpoint> {
  if (failure === 'connection-refused') {
    return { url: `http://127.0.0.1:${await freePort()}`, close: () => Promise.resolve() };
  }
  const server = createServer((req, res) => {
    req.resume();
    if (failure === 'black-hole') return;
    req.on('end', () => {
      const body = JSON.stringify({ __type: 'InternalFailure', message: 'Simulated AWS failure' });
      res.writeHead(500, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': 'fault-matrix',
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An SDK client built as the service builds its own (`AWS_CLIENT_CONFIG`: the same attempts and
 * timeouts), and a count of the requests it attempted.
 */
export interface CountedClient<C> {
  readonly client: C;
  requests(): number;
}

/**
 * Counted in the `deserialize` step, which runs inside the SDK's retry loop: once per request
 * the SDK attempts, retries included.
 */
const COUNTER = { step: 'deserialize', name: 'countFaultMatrixRequests' } as const;

export function countedSecretsManager(endpoint: string): CountedClient<SecretsManagerClient> {
  const client = new SecretsManagerClient({ ...AWS_CLIENT_CONFIG, endpoint });
  let requests = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    COUNTER,
  );
  return { client, requests: () => requests };
}

/**
 * The service's own DynamoDB client (attempts counted at its transport) and the SDK client of
 * invoke's idempotency records, both aimed at `endpoint` and counted together: in a deployment
 * they reach the same DynamoDB.
 */
export function countedDynamoDb(
  endpoint: string,
): CountedClient<DynamoDbClient> & { readonly idempotencyClient: DynamoDBClient } {
  const transport = createHttpTransport();
  let requests = 0;
  const client = serviceDynamoDb({
    endpoint,
    transport: (request) => {
      requests += 1;
      return transport(request);
    },
  });
  const idempotencyClient = new DynamoDBClient({ ...AWS_CLIENT_CONFIG, endpoint });
  idempotencyClient.middlewareStack.add(
    (next) => (args) => {
      requests += 1;
      return next(args);
    },
    COUNTER,
  );
  return { client, idempotencyClient, requests: () => requests };
}
