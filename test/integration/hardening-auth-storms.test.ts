/**
 * Faults that repeat across every task of a poll must not be repeated against their source:
 * Huawei locks an AK after five failed signatures in a row, Secrets Manager gets no storm while
 * it is down, and a clock Huawei's gateway will not accept is named as such. Runs the real poller
 * against moto and the signature-verifying simulator.
 */
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../lib/clock';
import { systemClock } from '../../lib/clock';
import { CLOCK_SKEW_WARNING } from '../../lib/huawei/dms-client';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { captureJsonLines } from '../support/capture-output';
import { FakeClock } from '../support/fake-clock';
import { INSTANCE_ID, PROJECT_ID, harnessPerTest, type Harness } from '../support/harness';
import { ROTATED_CREDENTIALS, TEST_CREDENTIALS, secretString } from '../support/test-credentials';

const setup = harnessPerTest();

function watchTasks(harness: Harness, count: number): string {
  const ids = Array.from(
    { length: count },
    (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  );
  for (const id of ids) harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id }));
  return ids.map((id) => `${INSTANCE_ID}/${id}`).join(',');
}

function signaturesBy(harness: Harness, accessKeyId: string): number {
  return harness.simulator.requests.filter((r) => r.accessKeyId === accessKeyId).length;
}

describe('an AK Huawei rejects', () => {
  it('is signed with at most twice in a poll of 25 tasks, and every task fails as auth failed', async () => {
    const harness = await setup();
    const watched = watchTasks(harness, 25);
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);

    const summary = await harness.poll(watched, { env: { POLL_CONCURRENCY: '8' } });

    expect(signaturesBy(harness, TEST_CREDENTIALS.accessKeyId)).toBe(2);
    expect(summary.failed).toBe(25);
    expect(new Set(summary.failures.map((f) => f.code))).toEqual(new Set(['UPSTREAM_AUTH_FAILED']));
  });

  it('gets another chance in the next invocation', async () => {
    const harness = await setup();
    const watched = watchTasks(harness, 3);
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);
    await harness.poll(watched);
    harness.simulator.setCredentials([TEST_CREDENTIALS]);
    harness.simulator.clearRequests();

    const summary = await harness.poll(watched);

    expect(summary).toMatchObject({ checked: 3, failed: 0 });
    // The three share an instance: its one list page answers for all of them.
    expect(signaturesBy(harness, TEST_CREDENTIALS.accessKeyId)).toBe(1);
  });

  it('gives way to the rotated secret for the tasks that follow', async () => {
    const harness = await setup();
    const watched = watchTasks(harness, 12);
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);
    await harness.container.credentials.get();
    await harness.aws.clients.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: harness.aws.secretId,
        SecretString: secretString(ROTATED_CREDENTIALS),
      }),
    );

    const summary = await harness.poll(watched, { env: { POLL_CONCURRENCY: '4' } });

    expect(summary).toMatchObject({ checked: 12, failed: 0 });
    expect(signaturesBy(harness, TEST_CREDENTIALS.accessKeyId)).toBeLessThanOrEqual(2);
  });
});

describe('Secrets Manager down', () => {
  it('costs one GetSecretValue for a poll of 200 tasks, and each task fails as a dependency outage', async () => {
    let fetches = 0;
    // Port 9 (discard) on the loopback refuses connections: an outage that answers at once.
    const secretsManager = new SecretsManagerClient({
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    secretsManager.middlewareStack.add(
      (next) => (args) => {
        fetches += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countFetches' },
    );
    // Time stands still unless the code sleeps: however slow this machine, the poll fits in the
    // first failure's backoff.
    const harness = await setup({ overrides: { secretsManager, clock: new FakeClock() } });
    const watched = watchTasks(harness, 200);

    const summary = await harness.poll(watched, { remainingMs: 30_000 });

    expect(fetches).toBe(1);
    expect(summary.failed).toBe(200);
    expect(new Set(summary.failures.map((f) => f.code))).toEqual(
      new Set(['DEPENDENCY_UNAVAILABLE']),
    );
    expect(harness.simulator.requests).toHaveLength(0);
  });
});

describe('a clock Huawei does not accept', () => {
  const TWENTY_MINUTES = 20 * 60_000;
  const fastClock: Clock = {
    now: () => systemClock.now() + TWENTY_MINUTES,
    sleep: (ms, signal) => systemClock.sleep(ms, signal),
  };

  it('is answered as CLOCK_SKEW after one signature, not as an auth failure', async () => {
    const harness = await setup({ overrides: { clock: fastClock } });

    const response = await harness.http();

    expect(response.statusCode).toBe(500);
    expect(response.json.code).toBe('CLOCK_SKEW');
    expect(harness.simulator.requests).toHaveLength(1);
    expect(harness.secretFetches()).toBe(1);
  });

  it('is logged once with the measured skew, however many tasks a poll has', async () => {
    const harness = await setup({ overrides: { clock: fastClock } });
    const watched = watchTasks(harness, 10);
    const summaries: { failed: number }[] = [];

    const lines = await captureJsonLines(async () => {
      summaries.push(await harness.poll(watched), await harness.poll(watched));
    });

    const warnings = lines.filter((line) => line.message === CLOCK_SKEW_WARNING);
    expect(summaries.map((s) => s.failed)).toEqual([10, 10]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'WARN' });
    expect(warnings[0]!.skewSeconds).toBeGreaterThan(1190);
    // One signature per invocation: a retry cannot fix the clock.
    expect(signaturesBy(harness, TEST_CREDENTIALS.accessKeyId)).toBe(2);
  });
});
