/**
 * Huawei's response headers are not ours to repeat: an `X-Request-Id` reaches a caller or a log
 * line only when it is a short token, and `Retry-After` is answered as whole seconds within an
 * hour. Runs the real HTTP handler against an upstream that answers whatever a test tells it to.
 */
import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpstreamThrottledError } from '../../lib/errors';
import { problemResponse } from '../../lib/http/problem';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { TASK_ID, startHarness, type Harness } from '../support/harness';

/** A marker no handler writes by itself: finding it anywhere means the header was repeated. */
const LONG_REQUEST_ID = `UPSTREAMTEXT${'x'.repeat(8_000)}`;
const ODD_REQUEST_ID = 'UPSTREAMTEXT <b>see https://example.invalid</b>';
const ABSURD_RETRY_AFTER = `1${'0'.repeat(23)}`;

interface Answer {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: unknown;
}

let upstream: Server;
let answer: Answer;
let harness: Harness;

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const { port } = upstream.address() as AddressInfo;
  harness = await startHarness({
    env: {
      HUAWEICLOUD_ENDPOINT: `http://127.0.0.1:${port}`,
      // 429s would otherwise slow the warm container's pace for the tests that follow.
      UPSTREAM_MAX_REQUESTS_PER_SECOND: '10000',
    },
    overrides: { random: () => 0 },
  });
});

afterAll(async () => {
  await harness.stop();
  upstream.closeAllConnections();
  await new Promise((resolve) => upstream.close(resolve));
});

let stdout: jest.SpiedFunction<typeof process.stdout.write>;

beforeEach(() => {
  stdout = jest.spyOn(process.stdout, 'write');
});

afterEach(() => {
  stdout.mockRestore();
});

function logs(): string {
  return stdout.mock.calls.map(([chunk]) => String(chunk)).join('\n');
}

describe('an upstream X-Request-Id', () => {
  it.each([
    ['of 8,000 characters', LONG_REQUEST_ID],
    ['that is not a token', ODD_REQUEST_ID],
  ])('%s stays out of the problem body and the logs', async (_what, requestId) => {
    answer = { status: 403, headers: { 'x-request-id': requestId }, body: {} };

    const response = await harness.http();

    expect(response.json.code).toBe('UPSTREAM_FORBIDDEN');
    expect(response.json).not.toHaveProperty('upstreamRequestId');
    expect(response.body).not.toContain('UPSTREAMTEXT');
    expect(logs()).not.toContain('UPSTREAMTEXT');
  });

  it('of 8,000 characters stays out of the logs of a successful call', async () => {
    answer = {
      status: 200,
      headers: { 'x-request-id': LONG_REQUEST_ID },
      body: exampleTask({ id: TASK_ID }),
    };

    const response = await harness.http();

    expect(response.statusCode).toBe(200);
    expect(logs()).toContain('Task observed');
    expect(logs()).not.toContain('UPSTREAMTEXT');
  });

  it('that is a short token is passed on, to be quoted to Huawei', async () => {
    answer = { status: 403, headers: { 'x-request-id': 'a1b2c3d4e5f6' }, body: {} };

    const response = await harness.http();

    expect(response.json.upstreamRequestId).toBe('a1b2c3d4e5f6');
  });
});

describe('an upstream Retry-After', () => {
  it('of 10^23 seconds is answered as at most an hour, in whole seconds', async () => {
    answer = { status: 429, headers: { 'retry-after': ABSURD_RETRY_AFTER }, body: {} };

    const response = await harness.http();

    expect(response.json.code).toBe('UPSTREAM_THROTTLED');
    expect(response.headers?.['retry-after']).toBe('3600');
  });
});

describe('the Retry-After header of a problem response', () => {
  it.each([
    [1e23, '3600'],
    [Infinity, '3600'],
    [2.5, '3'],
    [-4, '0'],
  ])('renders a wait of %d seconds as %s', (seconds, header) => {
    const response = problemResponse(new UpstreamThrottledError(seconds));

    expect(response.headers?.['retry-after']).toBe(header);
  });

  it('is left out when the wait is not a number', () => {
    const response = problemResponse(new UpstreamThrottledError(NaN));

    expect(response.headers).not.toHaveProperty('retry-after');
  });
});
