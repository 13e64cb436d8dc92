/**
 * An AWS dependency that accepts connections and never answers is unavailable, and must be
 * answered as such (503 DEPENDENCY_UNAVAILABLE, DependencyUnavailableError) well within the
 * Lambda's time: not as the platform's timeout, which carries none of our error names. The
 * clients are configured as lib/container.ts configures its own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AWS_CLIENT_CONFIG } from '../../lib/aws-client-config';
import type { ContainerOverrides } from '../../lib/container';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, startHarness, type Harness } from '../support/harness';

/** Comfortably more than two 2 s attempts, comfortably less than the HTTP function's 10 s. */
const LAMBDA_TIME_MS = 9_000;

let blackHole: Server;
let endpoint: string;
const harnesses: Harness[] = [];

beforeAll(async () => {
  blackHole = createServer(() => undefined);
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  blackHole.closeAllConnections();
  await new Promise((resolve) => blackHole.close(resolve));
});

async function setup(overrides: ContainerOverrides) {
  const harness = await startHarness({ overrides });
  harnesses.push(harness);
  return harness;
}

describe('a black-holed AWS dependency', () => {
  it('Secrets Manager: the HTTP call answers 503 DEPENDENCY_UNAVAILABLE in seconds', async () => {
    const harness = await setup({
      secretsManager: new SecretsManagerClient({ ...AWS_CLIENT_CONFIG, endpoint }),
    });
    const started = Date.now();

    const response = await harness.http(undefined, LAMBDA_TIME_MS);

    expect(response.statusCode).toBe(503);
    expect(response.json.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(LAMBDA_TIME_MS - 1_000);
  });

  it('DynamoDB: the HTTP call answers 503 DEPENDENCY_UNAVAILABLE in seconds', async () => {
    const harness = await setup({ dynamoDb: serviceDynamoDb({ endpoint }) });
    const started = Date.now();

    const response = await harness.http(undefined, LAMBDA_TIME_MS);

    expect(response.statusCode).toBe(503);
    expect(response.json.code).toBe('DEPENDENCY_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(LAMBDA_TIME_MS - 1_000);
  });

  it('DynamoDB: a direct invocation fails as DependencyUnavailableError in seconds', async () => {
    const harness = await setup({
      dynamoDb: serviceDynamoDb({ endpoint }),
      idempotencyDynamoDb: new DynamoDBClient({ ...AWS_CLIENT_CONFIG, endpoint }),
    });
    const started = Date.now();

    const outcome = await harness
      .invoke({ projectId: PROJECT_ID, instanceId: INSTANCE_ID, taskId: TASK_ID }, LAMBDA_TIME_MS)
      .catch((error: unknown) => error);

    expect(outcome).toMatchObject({ name: 'DependencyUnavailableError' });
    expect(Date.now() - started).toBeLessThan(LAMBDA_TIME_MS - 1_000);
  });
});
