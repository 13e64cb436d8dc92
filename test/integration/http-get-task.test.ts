import { normalizeConnectorTask } from '../../lib/connector-task';
import type { Fault } from '../simulator/huawei-dms-simulator';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { rotateSecret } from '../support/aws-resources';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, startHarness, type Harness } from '../support/harness';
import { ROTATED_CREDENTIALS, TEST_CREDENTIALS } from '../support/test-credentials';

const TASK_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: TASK_ID };
const REMAINING_MS = 4_000;

let harness: Harness;

beforeAll(async () => {
  // random() = 0: zero backoff, so attempt counts are exact and the suite stays fast.
  harness = await startHarness({ overrides: { random: () => 0 } });
});

afterAll(async () => {
  await harness.stop();
});

beforeEach(() => {
  harness.reset();
});

describe('GET /v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}', () => {
  it('returns the normalized task for the API page example response', async () => {
    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({
      ...normalizeConnectorTask(exampleTask({ id: TASK_ID })),
      statusSince: expect.any(String) as string,
      statusDurationMs: expect.any(Number) as number,
    });
    expect(response.json).toMatchObject({
      id: TASK_ID,
      name: 'smart-connect-121248117',
      status: 'RUNNING',
      topics: ['topic-1643449744'],
      createdAt: '2024-02-20T11:15:53.133Z',
      sink: null,
    });
  });

  it('answers JSON that must not be cached, with security headers', async () => {
    const response = await harness.http(TASK_PATH);

    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'strict-transport-security': expect.stringContaining('max-age='),
    });
  });

  it('makes exactly one signed upstream call and reuses the cached secret when warm', async () => {
    await harness.http(TASK_PATH); // warm: the secret is fetched at most here
    harness.simulator.clearRequests();
    const before = harness.secretFetches();

    await harness.http(TASK_PATH);
    await harness.http(TASK_PATH);

    expect(harness.simulator.requests.map((r) => r.outcome)).toEqual(['served', 'served']);
    expect(harness.secretFetches()).toBe(before);
  });

  it.each([
    [{ ...TASK_PATH, task_id: 'not-a-uuid' }, 'task_id'],
    [{ ...TASK_PATH, instance_id: '../../v1/other' }, 'instance_id'],
    [{ ...TASK_PATH, project_id: 'ABCDEF' }, 'project_id'],
    [{ ...TASK_PATH, task_id: undefined }, 'task_id'],
  ])(
    'refuses invalid path parameters with 400 before any upstream call (%#)',
    async (path, field) => {
      const response = await harness.http(path);

      expect(response.statusCode).toBe(400);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
      expect(response.json.invalidFields).toEqual([expect.objectContaining({ field })]);
      expect(harness.simulator.requests).toHaveLength(0);
    },
  );

  it('refuses a project this deployment does not serve before any upstream call', async () => {
    const response = await harness.http({
      ...TASK_PATH,
      project_id: 'aaaabbbbccccddddeeeeffff00001111',
    });

    expect(response.statusCode).toBe(403);
    expect(response.json.code).toBe('PROJECT_NOT_SERVED');
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('upstream faults', () => {
  type Row = [name: string, fault: Fault, status: number, code: string, attempts: number];
  const rows: Row[] = [
    ['403', { kind: 'status', status: 403, errorCode: 'APIGW.0302' }, 502, 'UPSTREAM_FORBIDDEN', 1],
    ['429 without Retry-After', { kind: 'status', status: 429 }, 503, 'UPSTREAM_THROTTLED', 3],
    [
      '429 with a Retry-After beyond the deadline',
      { kind: 'status', status: 429, retryAfter: '60' },
      503,
      'UPSTREAM_THROTTLED',
      1,
    ],
    ['500', { kind: 'status', status: 500 }, 502, 'UPSTREAM_UNAVAILABLE', 3],
    ['503', { kind: 'status', status: 503 }, 502, 'UPSTREAM_UNAVAILABLE', 3],
    ['a connection reset', { kind: 'reset' }, 502, 'UPSTREAM_UNAVAILABLE', 3],
    ['a slow answer', { kind: 'slow', delayMs: 2_000 }, 504, 'UPSTREAM_TIMEOUT', 3],
    ['no answer at all', { kind: 'hang' }, 504, 'UPSTREAM_TIMEOUT', 3],
    [
      'an oversized body',
      { kind: 'oversized', bytes: 2 * 1024 * 1024 },
      502,
      'UPSTREAM_CONTRACT_VIOLATION',
      1,
    ],
    ['an endless body', { kind: 'endless' }, 502, 'UPSTREAM_CONTRACT_VIOLATION', 1],
    ['an HTML page', { kind: 'html' }, 502, 'UPSTREAM_CONTRACT_VIOLATION', 1],
    [
      'a redirect',
      { kind: 'redirect', location: 'http://127.0.0.1:9/elsewhere' },
      502,
      'UPSTREAM_CONTRACT_VIOLATION',
      1,
    ],
    ['malformed JSON', { kind: 'malformed-json' }, 502, 'UPSTREAM_CONTRACT_VIOLATION', 1],
    [
      'a body without id',
      { kind: 'raw', status: 200, body: '{"status":"RUNNING"}' },
      502,
      'UPSTREAM_CONTRACT_VIOLATION',
      1,
    ],
  ];

  const cases = rows.map(([name, fault, status, code, attempts]) => ({
    name,
    fault,
    status,
    code,
    attempts,
  }));

  it.each(cases)(
    'maps $name to $status $code after $attempts attempt(s), inside the deadline',
    async ({ fault, status, code, attempts }) => {
      harness.simulator.setFault(fault);
      const started = Date.now();

      const response = await harness.http(TASK_PATH, REMAINING_MS);

      expect(response.statusCode).toBe(status);
      expect(response.headers?.['content-type']).toBe('application/problem+json');
      expect(response.json).toMatchObject({ status, code });
      expect(harness.simulator.requests).toHaveLength(attempts);
      expect(Date.now() - started).toBeLessThan(REMAINING_MS);
    },
  );

  it('passes a Retry-After it could not wait for on to the caller', async () => {
    harness.simulator.setFault({ kind: 'status', status: 429, retryAfter: '60' });

    const response = await harness.http(TASK_PATH);

    expect(response.headers?.['retry-after']).toBe('60');
  });

  it('answers 404 TASK_NOT_FOUND when the task does not exist, without retrying', async () => {
    harness.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID);

    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(404);
    expect(response.json.code).toBe('TASK_NOT_FOUND');
    expect(harness.simulator.requests).toHaveLength(1);
  });

  it('answers 404 INSTANCE_NOT_FOUND when the instance does not exist', async () => {
    const otherInstance = '00000000-1111-4222-8333-444444444444';

    const response = await harness.http({ ...TASK_PATH, instance_id: otherInstance });

    expect(response.statusCode).toBe(404);
    expect(response.json.code).toBe('INSTANCE_NOT_FOUND');
  });

  it('recovers from one 503 on the second attempt', async () => {
    harness.simulator.injectFault({ kind: 'status', status: 503 });

    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(200);
    expect(harness.simulator.requests).toHaveLength(2);
  });

  it('signs a retry after a wait with a fresh X-Sdk-Date', async () => {
    harness.simulator.injectFault({ kind: 'status', status: 429, retryAfter: '1' });

    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(200);
    const [first, second] = harness.simulator.requests;
    expect(second!.outcome).toBe('served');
    expect(second!.sdkDate).not.toBe(first!.sdkDate);
  });

  it('never forwards upstream error text to the caller', async () => {
    harness.simulator.setFault({ kind: 'status', status: 403, errorCode: 'APIGW.0302' });

    const response = await harness.http(TASK_PATH);

    expect(response.json.detail).toBe('This service’s Huawei Cloud credentials lack permission.');
    expect(response.body).not.toContain(TEST_CREDENTIALS.accessKeyId);
  });
});

describe('credentials', () => {
  it('picks up a rotated secret after a 401 with exactly one extra secret fetch', async () => {
    await harness.http(TASK_PATH); // warm: secret cached
    await rotateSecret(harness.aws.clients, harness.aws.secretId, ROTATED_CREDENTIALS);
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);
    harness.simulator.clearRequests();
    const before = harness.secretFetches();

    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(200);
    expect(harness.secretFetches() - before).toBe(1);
    expect(harness.simulator.requests.map((r) => r.outcome)).toEqual(['rejected', 'served']);
    await rotateSecret(harness.aws.clients, harness.aws.secretId, TEST_CREDENTIALS);
    harness.container.credentials.clear();
  });

  it('gives up after one re-fetch when Huawei keeps rejecting the credentials', async () => {
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);

    const response = await harness.http(TASK_PATH);

    expect(response.statusCode).toBe(502);
    expect(response.json.code).toBe('UPSTREAM_AUTH_FAILED');
    expect(harness.simulator.requests).toHaveLength(2);
    harness.container.credentials.clear();
  });
});
