import {
  ClockSkewError,
  TaskNotFoundError,
  UpstreamContractError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import {
  CLOCK_SKEW_WARNING,
  DmsClient,
  parseRetryAfter,
  type RetryPolicy,
} from '../../lib/huawei/dms-client';
import {
  TransportError,
  type HttpTransport,
  type TransportRequest,
  type TransportResponse,
} from '../../lib/huawei/http-transport';
import type { CredentialsSource } from '../../lib/huawei/secret-credentials';
import type { HuaweiCredentials } from '../../lib/huawei/signer';
import { SignatureGuard } from '../../lib/huawei/signature-guard';
import { AdaptiveRateLimiter } from '../../lib/rate-limiter';
import { FakeClock, sequenceRandom } from '../support/fake-clock';
import { ROTATED_CREDENTIALS, TEST_CREDENTIALS } from '../support/test-credentials';

const REF = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};

const POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 1_000,
  baseDelayMs: 200,
  maxDelayMs: 2_000,
};

type Step = TransportResponse | TransportError;

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): TransportResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1', ...headers },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function setup(
  steps: Step[],
  options: {
    random?: () => number;
    deadlineMs?: number;
    rateLimiter?: (clock: FakeClock) => AdaptiveRateLimiter;
  } = {},
) {
  const clock = new FakeClock();
  const rateLimiter = options.rateLimiter?.(clock);
  const sent: TransportRequest[] = [];
  const transport: HttpTransport = (request) => {
    sent.push(request);
    const step = steps.shift();
    if (!step) throw new Error('unexpected extra attempt');
    return step instanceof TransportError ? Promise.reject(step) : Promise.resolve(step);
  };
  let current: HuaweiCredentials = TEST_CREDENTIALS;
  const refreshes: HuaweiCredentials[] = [];
  const signatureGuard = new SignatureGuard();
  const warnings: unknown[][] = [];
  const logger = { warn: (...args: unknown[]) => void warnings.push(args) };
  const credentials: CredentialsSource = {
    get: () => Promise.resolve(current),
    refreshAfterRejection: (rejected) => {
      refreshes.push(rejected);
      current = ROTATED_CREDENTIALS;
      return Promise.resolve(current);
    },
  };
  const client = new DmsClient({
    baseUrl: new URL('https://dms.cn-north-4.myhuaweicloud.com'),
    credentials,
    transport,
    clock,
    random: options.random ?? sequenceRandom(0.5),
    retry: POLICY,
    maxResponseBytes: 1024,
    ...(rateLimiter ? { rateLimiter } : {}),
    signatureGuard,
    logger,
  });
  const call = { deadline: clock.now() + (options.deadlineMs ?? 10_000) };
  return { client, clock, sent, refreshes, call, signatureGuard, warnings };
}

describe('DmsClient.showConnectorTask', () => {
  it('returns the parsed body and the upstream request id', async () => {
    const { client, call } = setup([json(200, { id: 'x', status: 'RUNNING' })]);

    const response = await client.showConnectorTask(REF, call);

    expect(response).toEqual({
      body: { id: 'x', status: 'RUNNING' },
      requestId: 'req-1',
      attempts: 1,
      sentAt: new FakeClock().now(),
    });
  });

  it('sends a signed GET to the task path with the project header', async () => {
    const { client, sent, call } = setup([json(200, {})]);

    await client.showConnectorTask(REF, call);

    const request = sent[0]!;
    expect(request.url.toString()).toBe(
      `https://dms.cn-north-4.myhuaweicloud.com/v2/${REF.projectId}/instances/${REF.instanceId}/connector/tasks/${REF.taskId}`,
    );
    expect(request.headers['x-project-id']).toBe(REF.projectId);
    expect(request.headers.authorization).toMatch(
      /^SDK-HMAC-SHA256 Access=\S+, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it('retries a 503 and succeeds on the next attempt', async () => {
    const { client, sent, call } = setup([json(503, {}), json(200, { id: 'x' })]);

    const response = await client.showConnectorTask(REF, call);

    expect(response.attempts).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('signs each attempt with the date at which it is sent', async () => {
    const { client, sent, call } = setup([json(429, {}, { 'retry-after': '2' }), json(200, {})]);

    await client.showConnectorTask(REF, call);

    expect(sent[0]!.headers['x-sdk-date']).toBe('20261123T120000Z');
    expect(sent[1]!.headers['x-sdk-date']).toBe('20261123T120002Z');
    expect(sent[0]!.headers['x-sdk-date']).not.toBe(sent[1]!.headers['x-sdk-date']);
    expect(sent[0]!.headers.authorization).not.toBe(sent[1]!.headers.authorization);
  });

  it('waits a full-jitter exponential backoff between attempts', async () => {
    const { client, clock, call } = setup([json(500, {}), json(500, {}), json(200, {})], {
      random: sequenceRandom(0.5, 0.25),
    });

    await client.showConnectorTask(REF, call);

    expect(clock.sleeps).toEqual([100, 100]); // 0.5 × 200, then 0.25 × 400
  });

  it('gives up with UpstreamUnavailableError after the last attempt', async () => {
    const { client, sent, call } = setup([json(502, {}), json(502, {}), json(502, {})]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(sent).toHaveLength(3);
  });

  it('retries network errors', async () => {
    const { client, sent, call } = setup([new TransportError('network'), json(200, {})]);

    await client.showConnectorTask(REF, call);

    expect(sent).toHaveLength(2);
  });

  it('never retries a request node refused to build, and does not call it an upstream fault', async () => {
    const { client, sent, call } = setup([new TransportError('invalid-request'), json(200, {})]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransportError);
    expect(sent).toHaveLength(1);
  });

  it('reports attempts that all timed out as UpstreamTimeoutError', async () => {
    const timeout = () => new TransportError('timeout');
    const { client, call } = setup([timeout(), timeout(), timeout()]);

    await expect(client.showConnectorTask(REF, call)).rejects.toBeInstanceOf(UpstreamTimeoutError);
  });

  it('never starts an attempt longer than the time left before the deadline', async () => {
    const { client, sent, call } = setup([json(200, {})], { deadlineMs: 400 });

    await client.showConnectorTask(REF, call);

    expect(sent[0]!.timeoutMs).toBe(400);
  });

  it('fails fast when the backoff would end after the deadline', async () => {
    const { client, sent, call } = setup([json(503, {})], {
      deadlineMs: 150,
      random: sequenceRandom(0.99),
    });

    await expect(client.showConnectorTask(REF, call)).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    expect(sent).toHaveLength(1);
  });

  it('honours Retry-After when it fits the deadline', async () => {
    const { client, clock, call } = setup([json(429, {}, { 'retry-after': '2' }), json(200, {})]);

    await client.showConnectorTask(REF, call);

    expect(clock.sleeps).toEqual([2_000]);
  });

  it('fails fast with UpstreamThrottledError when Retry-After exceeds the deadline', async () => {
    const { client, clock, sent, call } = setup([json(429, {}, { 'retry-after': '30' })]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamThrottledError);
    expect((error as UpstreamThrottledError).retryAfterSeconds).toBe(30);
    expect(sent).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('reports a deadline already passed as UpstreamTimeoutError without calling Huawei', async () => {
    const { client, sent, call } = setup([json(200, {})], {
      deadlineMs: 0,
      rateLimiter: (clock) => new AdaptiveRateLimiter(10, clock),
    });

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(sent).toHaveLength(0);
  });

  it('reports no pacing slot before the deadline as UpstreamTimeoutError when Huawei never throttled', async () => {
    const { client, sent, call } = setup([json(200, {})], {
      deadlineMs: 500,
      rateLimiter: (clock) => {
        const limiter = new AdaptiveRateLimiter(1, clock);
        void limiter.acquire(Infinity);
        return limiter;
      },
    });

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(sent).toHaveLength(0);
  });

  it('reports no pacing slot before the deadline as UpstreamThrottledError after Huawei throttled', async () => {
    const { client, sent, call } = setup([json(200, {})], {
      deadlineMs: 500,
      rateLimiter: (clock) => {
        const limiter = new AdaptiveRateLimiter(2, clock);
        limiter.throttled();
        void limiter.acquire(Infinity);
        return limiter;
      },
    });

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamThrottledError);
    expect((error as UpstreamThrottledError).retryAfterSeconds).toBe(1);
    expect(sent).toHaveLength(0);
  });

  it.each([400, 403])('never retries a %i', async (status) => {
    const { client, sent, call } = setup([json(status, { error_code: 'APIGW.0302' })]);

    await expect(client.showConnectorTask(REF, call)).rejects.toBeInstanceOf(UpstreamRejectedError);
    expect(sent).toHaveLength(1);
  });

  it('maps a 404 with the instance code to INSTANCE_NOT_FOUND without retrying', async () => {
    const { client, sent, call } = setup([
      json(404, { error_code: 'DMS.00404022', error_msg: 'x' }),
    ]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect((error as TaskNotFoundError).code).toBe('INSTANCE_NOT_FOUND');
    expect(sent).toHaveLength(1);
  });

  it('maps any other 404 to TASK_NOT_FOUND', async () => {
    const { client, call } = setup([json(404, { error_code: 'DMS.00404999' })]);

    await expect(client.showConnectorTask(REF, call)).rejects.toMatchObject({
      code: 'TASK_NOT_FOUND',
    });
  });

  it('re-reads the credentials once after a 401 and retries with the new ones', async () => {
    const { client, sent, refreshes, call } = setup([
      json(401, { error_code: 'APIGW.0301' }),
      json(200, {}),
    ]);

    await client.showConnectorTask(REF, call);

    expect(refreshes).toEqual([TEST_CREDENTIALS]);
    expect(sent[1]!.headers.authorization).toContain(`Access=${ROTATED_CREDENTIALS.accessKeyId},`);
  });

  it('stops after a second 401 instead of looping', async () => {
    const unauthorized = () => json(401, { error_code: 'APIGW.0301' });
    const { client, sent, refreshes, call } = setup([
      unauthorized(),
      unauthorized(),
      unauthorized(),
    ]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect((error as UpstreamRejectedError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect(sent).toHaveLength(2);
    expect(refreshes).toHaveLength(1);
  });

  it.each([
    [
      'a redirect',
      { status: 302, headers: { location: 'https://evil.example' }, body: Buffer.alloc(0) },
    ],
    [
      'an HTML page',
      { status: 200, headers: { 'content-type': 'text/html' }, body: Buffer.from('<html>') },
    ],
    [
      'malformed JSON',
      { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{') },
    ],
  ])('treats %s as a contract violation without retrying', async (_name, response) => {
    const { client, sent, call } = setup([response]);

    await expect(client.showConnectorTask(REF, call)).rejects.toBeInstanceOf(UpstreamContractError);
    expect(sent).toHaveLength(1);
  });

  it('treats a body over the size cap as a contract violation', async () => {
    const { client, call } = setup([new TransportError('too-large')]);

    await expect(client.showConnectorTask(REF, call)).rejects.toBeInstanceOf(UpstreamContractError);
  });
});

describe('DmsClient and the X-Request-Id header', () => {
  const untrusted = [
    ['of 8,000 characters', 'a'.repeat(8_000)],
    ['of 129 characters', 'a'.repeat(129)],
    ['with spaces', 'request id with spaces'],
    ['with markup', '<script>alert(1)</script>'],
    ['with a line separator', 'req-1\u2028level=ERROR'],
  ];

  it.each(untrusted)('drops an id %s from a successful answer', async (_what, id) => {
    const { client, call } = setup([json(200, {}, { 'x-request-id': id })]);

    const response = await client.showConnectorTask(REF, call);

    expect(response.requestId).toBeUndefined();
  });

  it.each(untrusted)('drops an id %s from an upstream error', async (_what, id) => {
    const { client, call } = setup([json(400, {}, { 'x-request-id': id })]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect((error as UpstreamRejectedError).upstreamRequestId).toBeUndefined();
  });

  it('drops an untrusted id from a not-found answer', async () => {
    const { client, call } = setup([json(404, {}, { 'x-request-id': 'a b' })]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect((error as TaskNotFoundError).upstreamRequestId).toBeUndefined();
  });

  it.each(['0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'req-1', 'a.b_c-D', 'a'.repeat(128)])(
    'keeps the token-shaped id %s',
    async (id) => {
      const { client, call } = setup([json(200, {}, { 'x-request-id': id })]);

      const response = await client.showConnectorTask(REF, call);

      expect(response.requestId).toBe(id);
    },
  );
});

describe('DmsClient and an absurd Retry-After', () => {
  it('reports a 429 asking for 10^23 seconds as a wait of at most an hour', async () => {
    const { client, call } = setup([json(429, {}, { 'retry-after': `1${'0'.repeat(23)}` })]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamThrottledError);
    expect((error as UpstreamThrottledError).retryAfterSeconds).toBe(3_600);
  });
});

describe('DmsClient.listConnectorTasks', () => {
  it('signs the paging parameters as the query', async () => {
    const { client, sent, call } = setup([json(200, { tasks: [] })]);

    await client.listConnectorTasks(REF, { offset: 50, limit: 50 }, call);

    expect(sent[0]!.url.search).toBe('?offset=50&limit=50');
  });
});

describe('DmsClient: which answers make an AK trusted', () => {
  /** Whether two more requests with the AK may go at once (trusted) or one waits (probing). */
  async function trusted(signatureGuard: SignatureGuard): Promise<boolean> {
    const first = await signatureGuard.admit(TEST_CREDENTIALS.accessKeyId);
    let secondAdmitted = false;
    void signatureGuard.admit(TEST_CREDENTIALS.accessKeyId).then(() => (secondAdmitted = true));
    await new Promise((resolve) => setImmediate(resolve));
    if (!('refusal' in first)) first.inconclusive();
    return secondAdmitted;
  }

  it.each([
    ['a 200', json(200, {})],
    ['a 403', json(403, { error_code: 'APIGW.0302' })],
    ['a 404 of the DMS service', json(404, { error_code: 'DMS.00404022' })],
  ])('trusts the AK after %s', async (_what, answer) => {
    const { client, call, signatureGuard } = setup([answer]);

    await client.showConnectorTask(REF, call).catch(() => undefined);

    expect(await trusted(signatureGuard)).toBe(true);
  });

  it.each([
    ['5xx', () => json(503, {})],
    ['429', () => json(429, { error_code: 'APIGW.0308' })],
    ['gateway 400', () => json(400, { error_code: 'APIGW.0201' })],
  ])(
    'leaves the AK untrusted after a %s, which may come before the signature is checked',
    async (_what, answer) => {
      const { client, call, signatureGuard } = setup([answer(), answer(), answer()]);

      await client.showConnectorTask(REF, call).catch(() => undefined);

      expect(await trusted(signatureGuard)).toBe(false);
    },
  );

  it('frees the next request when one that held the turn runs out of time before sending', async () => {
    const { client, clock, call, signatureGuard } = setup([json(200, {})]);
    const holder = await signatureGuard.admit(TEST_CREDENTIALS.accessKeyId);
    const late = client.showConnectorTask(REF, { deadline: clock.now() + 20 });
    const timely = client.showConnectorTask(REF, call);
    if (!('refusal' in holder)) holder.inconclusive();

    await expect(late).rejects.toBeInstanceOf(UpstreamTimeoutError);
    await expect(timely).resolves.toMatchObject({ attempts: 1 });
  });
});

describe('DmsClient: when the answered request was sent', () => {
  it('is the time the answered attempt was signed, not when the call began', async () => {
    const { client, clock, call } = setup([json(503, {}), json(200, { id: 'x' })], {
      random: () => 0.5,
    });
    const began = clock.now();

    const response = await client.showConnectorTask(REF, call);

    expect(response.sentAt).toBe(began + 100);
    expect(clock.sleeps).toEqual([100]);
  });

  it('is carried by a 404, for the record of a disappeared task', async () => {
    const { client, clock, call } = setup([json(503, {}), json(404, {})]);
    const began = clock.now();

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskNotFoundError);
    expect((error as TaskNotFoundError).sentAt).toBe(began + clock.sleeps[0]!);
  });
});

describe('DmsClient and the signature guard', () => {
  const TWENTY_MINUTES = 20 * 60_000;
  const unauthorizedAt = (date: number) =>
    json(401, { error_code: 'APIGW.0301' }, { date: new Date(date).toUTCString() });

  it('answers an AK refused in this invocation as auth failed without sending anything', async () => {
    const { client, sent, call, signatureGuard } = setup([]);
    const verdict = await signatureGuard.admit(TEST_CREDENTIALS.accessKeyId);
    if (!('refusal' in verdict)) verdict.rejected(() => new UpstreamRejectedError(401), true);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', attempts: 0 });
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['behind', -TWENTY_MINUTES],
    ['ahead of', TWENTY_MINUTES],
  ])(
    'answers a 401 whose Date is 20 minutes %s the signature as CLOCK_SKEW, without a re-read or a retry',
    async (_where, offset) => {
      const clock = new FakeClock();
      const { client, sent, refreshes, call } = setup([unauthorizedAt(clock.now() + offset)]);

      const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ClockSkewError);
      expect(error).toMatchObject({ code: 'CLOCK_SKEW', attempts: 1 });
      expect(sent).toHaveLength(1);
      expect(refreshes).toHaveLength(0);
    },
  );

  it('answers a 401 whose Date is within the gateway window as an auth failure', async () => {
    const clock = new FakeClock();
    const early = clock.now() - 14 * 60_000;
    const { client, refreshes, call } = setup([unauthorizedAt(early), unauthorizedAt(early)]);

    const error = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
    expect(refreshes).toHaveLength(1);
  });

  it('refuses to sign again after a clock skew, for the rest of the invocation', async () => {
    const clock = new FakeClock();
    const { client, sent, call } = setup([unauthorizedAt(clock.now() - TWENTY_MINUTES)]);
    await client.showConnectorTask(REF, call).catch(() => undefined);

    const second = await client.showConnectorTask(REF, call).catch((e: unknown) => e);

    expect(second).toMatchObject({ code: 'CLOCK_SKEW', attempts: 0 });
    expect(sent).toHaveLength(1);
  });

  it('logs the skew in seconds once, until Huawei accepts a signature again', async () => {
    const clock = new FakeClock();
    const skewed = () => unauthorizedAt(clock.now() - TWENTY_MINUTES);
    const { client, call, signatureGuard, warnings } = setup([
      skewed(),
      skewed(),
      json(200, {}),
      skewed(),
    ]);
    const observe = async () => {
      signatureGuard.startInvocation();
      await client.showConnectorTask(REF, call).catch(() => undefined);
    };

    for (let i = 0; i < 4; i += 1) await observe();

    expect(warnings).toEqual([
      [CLOCK_SKEW_WARNING, { skewSeconds: 1200 }],
      [CLOCK_SKEW_WARNING, { skewSeconds: 1200 }],
    ]);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('3', 0)).toBe(3_000);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(parseRetryAfter('Mon, 23 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
  });

  it('caps delta-seconds at an hour', () => {
    expect(parseRetryAfter(`1${'0'.repeat(23)}`, 0)).toBe(3_600_000);
  });

  it('caps an HTTP date at an hour from now', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    expect(parseRetryAfter('Fri, 31 Dec 9999 23:59:59 GMT', now)).toBe(3_600_000);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
  });
});
