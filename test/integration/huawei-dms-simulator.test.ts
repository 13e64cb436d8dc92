import { request as httpRequest } from 'node:http';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import { signRequest, type HuaweiCredentials, type QueryParams } from '../../lib/huawei/signer';
import {
  ERROR_CODES,
  HuaweiDmsSimulator,
  exampleTask,
  obsSinkTask,
  type Fault,
} from '../simulator/huawei-dms-simulator';
import {
  ROTATED_CREDENTIALS,
  TEMPORARY_CREDENTIALS,
  TEST_CREDENTIALS,
} from '../support/test-credentials';

const PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const INSTANCE = '59f6d088-1b2c-4d5e-8f90-123456789abc';
const LIST_INSTANCE = '6a07e199-2c3d-4e6f-9a01-23456789abcd';
const TASK_ID = '194917d0-****-****-****-********';
const TASK_PATH = `/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks/${TASK_ID}`;
const LIST_PATH = `/v2/${PROJECT}/instances/${LIST_INSTANCE}/connector/tasks`;
const MINUTE = 60_000;

let simulator: HuaweiDmsSimulator;
// The gateway clock runs this far ahead of ours: how stale-date tests move time.
let gatewaySkewMs = 0;

beforeAll(async () => {
  simulator = await HuaweiDmsSimulator.start({
    credentials: [TEST_CREDENTIALS, TEMPORARY_CREDENTIALS],
    now: () => new Date(Date.now() + gatewaySkewMs),
  });
});

afterAll(() => simulator.stop());

beforeEach(() => {
  gatewaySkewMs = 0;
  simulator.setCredentials([TEST_CREDENTIALS, TEMPORARY_CREDENTIALS]);
  simulator.setLatency(0);
  simulator.clearFaults();
  simulator.clearRequests();
  simulator.deleteInstance(PROJECT, INSTANCE);
  simulator.deleteInstance(PROJECT, LIST_INSTANCE);
  simulator.putTask(PROJECT, INSTANCE, exampleTask());
});

interface SignOptions {
  method?: string;
  query?: QueryParams;
  credentials?: HuaweiCredentials;
  /** Merged into the signed headers; `undefined` removes one. */
  headers?: Record<string, string | undefined>;
}

/** Headers the way our client sends them: host, x-project-id and content-type, all signed. */
function signedHeaders(path: string, options: SignOptions = {}): Record<string, string> {
  const wanted = {
    host: new URL(simulator.url).host,
    'content-type': 'application/json',
    'x-project-id': PROJECT,
    ...options.headers,
  };
  const headers = Object.fromEntries(
    Object.entries(wanted).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return signRequest(
    { method: options.method ?? 'GET', path, query: options.query, headers },
    options.credentials ?? TEST_CREDENTIALS,
    new Date(),
  );
}

function send(
  path: string,
  headers: Record<string, string>,
  init: { query?: QueryParams; method?: string; timeoutMs?: number } = {},
): Promise<Response> {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(init.query ?? {})) {
    for (const item of typeof value === 'string' ? [value] : value) search.append(key, item);
  }
  const query = search.size > 0 ? `?${search.toString()}` : '';
  return fetch(`${simulator.url}${path}${query}`, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
    signal: AbortSignal.timeout(init.timeoutMs ?? 5000),
  });
}

function get(path: string, options: SignOptions = {}): Promise<Response> {
  return send(path, signedHeaders(path, options), { query: options.query, method: options.method });
}

async function errorCode(response: Response): Promise<unknown> {
  return ((await response.json()) as { error_code?: unknown }).error_code;
}

function statusOf(url: string, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, signal: AbortSignal.timeout(5000) }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('error', reject);
    req.end();
  });
}

function lastRequest() {
  const last = simulator.requests.at(-1);
  if (!last) throw new Error('no request recorded');
  return last;
}

describe('signed requests', () => {
  it('serves the stored task to a request signed with our signer', async () => {
    const response = await get(TASK_PATH);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(exampleTask());
  });

  it('answers JSON with a charset', async () => {
    const response = await get(TASK_PATH);

    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('gives every response, errors included, its own hex X-Request-Id', async () => {
    const served = await get(TASK_PATH);
    const rejected = await send(TASK_PATH, { 'x-project-id': PROJECT });

    const ids = [served.headers.get('x-request-id'), rejected.headers.get('x-request-id')];
    expect(ids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[1]).toMatch(/^[0-9a-f]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('accepts a request signed by the official Huawei SDK signer', async () => {
    const url = `${simulator.url}${TASK_PATH}`;
    // sign() only reads the AK and SK of a credential.
    const credential = {
      getAk: () => TEST_CREDENTIALS.accessKeyId,
      getSk: () => TEST_CREDENTIALS.secretAccessKey,
    } as Parameters<typeof AKSKSigner.sign>[1];
    const sdkRequest = {
      endpoint: url,
      method: 'GET',
      headers: { 'Content-Type': 'application/json', 'X-Project-Id': PROJECT },
      queryParams: {},
    };
    const headers = AKSKSigner.sign(sdkRequest, credential);

    const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });

    expect(response.status).toBe(200);
  });

  it('accepts a signed query with repeated keys, spaces and reserved characters', async () => {
    simulator.putInstance(PROJECT, LIST_INSTANCE);
    const query = { limit: '5', offset: '0', name: ['b a', 'a*', 'x/y&z'] };

    const response = await get(LIST_PATH, { query });

    expect(response.status).toBe(200);
  });
});

describe('published test vectors', () => {
  // Computed with the official Node SDK (see /work/shared/huawei-dms-api.md): neither our signer
  // nor this simulator produced them.
  const vectorCredentials = {
    accessKeyId: 'HPUAEXAMPLEAK0000000',
    secretAccessKey: 'exampleSecretKey0000000000000000000000000',
  };
  const vectorProject = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
  const vectorInstance = '59f6d088-1b2c-4d5e-8f90-123456789abc';
  const vectorDate = '20261123T120000Z';
  let vectorSimulator: HuaweiDmsSimulator;

  beforeAll(async () => {
    vectorSimulator = await HuaweiDmsSimulator.start({
      credentials: [vectorCredentials],
      now: () => new Date('2026-11-23T12:00:00Z'),
    });
    vectorSimulator.putTask(
      vectorProject,
      vectorInstance,
      exampleTask({ id: '194917d0-aaaa-4bbb-8ccc-0123456789ab' }),
    );
  });

  afterAll(() => vectorSimulator.stop());

  it.each<{
    name: string;
    host: string;
    target: string;
    extra: Record<string, string>;
    signedHeaders: string;
    signature: string;
  }>([
    {
      name: 'a task read with a content type',
      host: 'dms.cn-north-4.myhuaweicloud.com',
      target: `/v2/${vectorProject}/instances/${vectorInstance}/connector/tasks/194917d0-aaaa-4bbb-8ccc-0123456789ab`,
      extra: { 'content-type': 'application/json' },
      signedHeaders: 'content-type;host;x-project-id;x-sdk-date',
      signature: '00c39db72963374d65b910121a12abf70ad239666a3d372687c71611da2a11c7',
    },
    {
      name: 'a list read with repeated keys and a space',
      host: 'dms.ap-southeast-1.myhuaweicloud.com',
      target: `/v2/${vectorProject}/instances/${vectorInstance}/connector/tasks?limit=50&offset=0&name=b+a&name=a*`,
      extra: {},
      signedHeaders: 'host;x-project-id;x-sdk-date',
      signature: 'b41f1b6d49365113efde8e06efafc988ec09ff8e4cbcf38c3d12ebd2a8f7f0ba',
    },
  ])('accepts the official SDK vector for $name', async (vector) => {
    // node:http, because fetch replaces a Host header with the URL's host.
    const status = await statusOf(`${vectorSimulator.url}${vector.target}`, {
      ...vector.extra,
      host: vector.host,
      'x-project-id': vectorProject,
      'x-sdk-date': vectorDate,
      authorization: `SDK-HMAC-SHA256 Access=${vectorCredentials.accessKeyId}, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`,
    });

    expect(status).toBe(200);
  });
});

describe('signature verification', () => {
  it('rejects a tampered signature with 401 APIGW.0301', async () => {
    const headers = signedHeaders(TASK_PATH);
    const authorization = headers.authorization ?? '';
    const last = authorization.at(-1) === '0' ? '1' : '0';
    headers.authorization = `${authorization.slice(0, -1)}${last}`;

    const response = await send(TASK_PATH, headers);

    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe(ERROR_CODES.authenticationFailed);
  });

  it('rejects a request signed for another path', async () => {
    const headers = signedHeaders(`/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks/other`);

    const response = await send(TASK_PATH, headers);

    expect(response.status).toBe(401);
  });

  it('rejects a request without an Authorization header', async () => {
    const headers = signedHeaders(TASK_PATH);
    delete headers.authorization;

    const response = await send(TASK_PATH, headers);

    expect(response.status).toBe(401);
  });

  it('rejects an unknown access key with 401 APIGW.0301', async () => {
    const response = await get(TASK_PATH, { credentials: ROTATED_CREDENTIALS });

    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe(ERROR_CODES.authenticationFailed);
  });

  it('puts the access key in 401 messages, as the real gateway can', async () => {
    const response = await get(TASK_PATH, { credentials: ROTATED_CREDENTIALS });

    const { error_msg: message } = (await response.json()) as { error_msg: string };
    // A boolean, so a failure can't print the key and trip the leak guard.
    expect(message.includes(ROTATED_CREDENTIALS.accessKeyId)).toBe(true);
  });

  it.each([
    ['behind', 16 * MINUTE],
    ['ahead of', -16 * MINUTE],
  ])('rejects an X-Sdk-Date more than 15 minutes %s the gateway clock', async (_, skew) => {
    gatewaySkewMs = skew;

    const response = await get(TASK_PATH);

    expect(response.status).toBe(401);
    expect(await errorCode(response)).toBe(ERROR_CODES.authenticationFailed);
  });

  it('accepts an X-Sdk-Date 14 minutes off the gateway clock', async () => {
    gatewaySkewMs = 14 * MINUTE;

    const response = await get(TASK_PATH);

    expect(response.status).toBe(200);
  });

  it('rejects an X-Sdk-Date that is not YYYYMMDDTHHmmssZ', async () => {
    const headers = signedHeaders(TASK_PATH);
    headers['x-sdk-date'] = new Date().toISOString();

    const response = await send(TASK_PATH, headers);

    expect(response.status).toBe(401);
  });

  it('rejects a request without X-Project-Id', async () => {
    const response = await get(TASK_PATH, { headers: { 'x-project-id': undefined } });

    expect(response.status).toBe(401);
  });

  it('rejects an X-Project-Id that is sent but not signed', async () => {
    const headers = signedHeaders(TASK_PATH, { headers: { 'x-project-id': undefined } });

    const response = await send(TASK_PATH, { ...headers, 'x-project-id': PROJECT });

    expect(response.status).toBe(401);
  });

  it("rejects an X-Project-Id other than the path's project", async () => {
    const otherProject = 'ffffffffffffffffffffffffffffffff';

    const response = await get(TASK_PATH, { headers: { 'x-project-id': otherProject } });

    expect(response.status).toBe(401);
  });

  it('rejects temporary credentials signed without their security token', async () => {
    const { accessKeyId, secretAccessKey } = TEMPORARY_CREDENTIALS;

    const response = await get(TASK_PATH, { credentials: { accessKeyId, secretAccessKey } });

    expect(response.status).toBe(401);
  });

  it('accepts temporary credentials signed with their security token', async () => {
    const response = await get(TASK_PATH, { credentials: TEMPORARY_CREDENTIALS });

    expect(response.status).toBe(200);
  });

  it('rejects the previous access key once credentials are rotated', async () => {
    simulator.setCredentials([ROTATED_CREDENTIALS]);

    const response = await get(TASK_PATH, { credentials: TEST_CREDENTIALS });

    expect(response.status).toBe(401);
  });

  it('accepts the new access key once credentials are rotated', async () => {
    simulator.setCredentials([ROTATED_CREDENTIALS]);

    const response = await get(TASK_PATH, { credentials: ROTATED_CREDENTIALS });

    expect(response.status).toBe(200);
  });
});

describe('routing', () => {
  it('answers 404 DMS.00404022 for an unknown instance', async () => {
    const path = `/v2/${PROJECT}/instances/00000000-0000-4000-8000-000000000000/connector/tasks/x`;

    const response = await get(path);

    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('DMS.00404022');
  });

  it('answers 404 with the task-not-found code for an unknown task', async () => {
    const path = `/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks/unknown-task`;

    const response = await get(path);

    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe(ERROR_CODES.taskNotFound);
  });

  it('answers 404 for a task deleted after it was stored', async () => {
    simulator.deleteTask(PROJECT, INSTANCE, TASK_ID);

    const response = await get(TASK_PATH);

    expect(response.status).toBe(404);
  });

  it('serves the status set after the task was stored', async () => {
    simulator.setTaskStatus(PROJECT, INSTANCE, TASK_ID, 'PAUSED');

    const response = await get(TASK_PATH);

    expect(await response.json()).toMatchObject({ status: 'PAUSED' });
  });

  it('serves an OBS sink task as stored', async () => {
    simulator.putTask(PROJECT, INSTANCE, obsSinkTask());
    const path = `/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks/${String(obsSinkTask().id)}`;

    const response = await get(path);

    expect(await response.json()).toEqual(obsSinkTask());
  });

  it('answers 404 APIGW.0101 for a method other than GET', async () => {
    const response = await get(TASK_PATH, { method: 'DELETE' });

    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe(ERROR_CODES.apiNotFound);
  });

  it('answers 404 APIGW.0101 for an unknown path', async () => {
    const response = await get(`/v2/${PROJECT}/instances/${INSTANCE}/topics`);

    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe(ERROR_CODES.apiNotFound);
  });
});

describe('task list', () => {
  beforeEach(() => {
    for (const id of ['task-1', 'task-2', 'task-3']) {
      simulator.putTask(PROJECT, LIST_INSTANCE, exampleTask({ id }));
    }
  });

  it('pages through tasks in insertion order', async () => {
    const first = await get(LIST_PATH, { query: { offset: '0', limit: '2' } });
    const second = await get(LIST_PATH, { query: { offset: '2', limit: '2' } });

    const ids = async (response: Response) =>
      ((await response.json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
    expect(await ids(first)).toEqual(['task-1', 'task-2']);
    expect(await ids(second)).toEqual(['task-3']);
    // Both pages went through signature verification ('rejected' otherwise) with our key.
    expect(
      simulator.requests.map((r) => ({
        query: r.query,
        outcome: r.outcome,
        status: r.status,
        ourKey: r.accessKeyId === TEST_CREDENTIALS.accessKeyId,
      })),
    ).toEqual([
      { query: 'offset=0&limit=2', outcome: 'served', status: 200, ourKey: true },
      { query: 'offset=2&limit=2', outcome: 'served', status: 200, ourKey: true },
    ]);
  });

  it('refuses a page request whose signature does not verify', async () => {
    const query = { offset: '2', limit: '2' };
    const headers = signedHeaders(LIST_PATH, { query: { offset: '0', limit: '2' } });

    const response = await send(LIST_PATH, headers, { query });

    expect(response.status).toBe(401);
    expect(lastRequest()).toMatchObject({ query: 'offset=2&limit=2', outcome: 'rejected' });
  });

  it('reports the total and the quota alongside a page', async () => {
    const response = await get(LIST_PATH, { query: { limit: '1' } });

    expect(await response.json()).toMatchObject({
      total_number: 3,
      max_tasks: 18,
      quota_tasks: 18,
    });
  });

  it('defaults to the first ten tasks', async () => {
    for (let i = 4; i <= 12; i += 1) {
      simulator.putTask(PROJECT, LIST_INSTANCE, exampleTask({ id: `task-${i}` }));
    }

    const response = await get(LIST_PATH);

    const body = (await response.json()) as { tasks: { id: string }[] };
    expect(body.tasks.map((t) => t.id)).toEqual(
      Array.from({ length: 10 }, (_, i) => `task-${i + 1}`),
    );
  });

  it.each<QueryParams>([
    { limit: '0' },
    { limit: '51' },
    { limit: 'ten' },
    { offset: '-1' },
    { limit: ['1', '2'] },
  ])('rejects %j with 400 DMS.00400002', async (query) => {
    const response = await get(LIST_PATH, { query });

    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe(ERROR_CODES.invalidParameter);
  });
});

describe('faults', () => {
  it('answers a status fault with its error code and Retry-After', async () => {
    simulator.injectFault({ kind: 'status', status: 429, retryAfter: '3' });

    const response = await get(TASK_PATH);

    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await errorCode(response)).toBe('APIGW.0308');
  });

  it('defaults a 5xx status fault to APIGW.0201', async () => {
    simulator.injectFault({ kind: 'status', status: 503 });

    const response = await get(TASK_PATH);

    expect(response.status).toBe(503);
    expect(await errorCode(response)).toBe('APIGW.0201');
  });

  it("puts the caller's access key in a status fault's message", async () => {
    simulator.injectFault({ kind: 'status', status: 500 });

    const response = await get(TASK_PATH);

    const { error_msg: message } = (await response.json()) as { error_msg: string };
    expect(message.includes(TEST_CREDENTIALS.accessKeyId)).toBe(true);
  });

  it('applies an injected fault the given number of times, then answers normally', async () => {
    simulator.injectFault({ kind: 'status', status: 502 }, 2);

    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await get(TASK_PATH)).status);

    expect(statuses).toEqual([502, 502, 200]);
  });

  it('keeps a persistent fault until it is cleared', async () => {
    simulator.setFault({ kind: 'status', status: 503 });
    const during = [(await get(TASK_PATH)).status, (await get(TASK_PATH)).status];
    simulator.setFault(undefined);

    const after = await get(TASK_PATH);

    expect(during).toEqual([503, 503]);
    expect(after.status).toBe(200);
  });

  it('applies queued faults before the persistent one', async () => {
    simulator.setFault({ kind: 'status', status: 503 });
    simulator.injectFault({ kind: 'status', status: 429 });

    const statuses = [(await get(TASK_PATH)).status, (await get(TASK_PATH)).status];

    expect(statuses).toEqual([429, 503]);
  });

  it("answers a task's own fault for that task only, until it is cleared", async () => {
    const otherId = '2a3b4c5d-****-****-****-********';
    simulator.putTask(PROJECT, INSTANCE, exampleTask({ id: otherId }));
    simulator.setTaskFault(PROJECT, INSTANCE, TASK_ID, { kind: 'status', status: 403 });

    const faulted = [(await get(TASK_PATH)).status, (await get(TASK_PATH)).status];
    const other = await get(TASK_PATH.replace(TASK_ID, otherId));
    const list = await get(`/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks`);
    simulator.setTaskFault(PROJECT, INSTANCE, TASK_ID, undefined);
    const healed = await get(TASK_PATH);

    expect(faulted).toEqual([403, 403]);
    expect(other.status).toBe(200);
    expect(list.status).toBe(200);
    expect(healed.status).toBe(200);
  });

  it("applies a task's fault before queued faults, spending none of them", async () => {
    simulator.setTaskFault(PROJECT, INSTANCE, TASK_ID, { kind: 'status', status: 403 });
    simulator.injectFault({ kind: 'status', status: 429 });

    const forTask = await get(TASK_PATH);
    const forList = await get(`/v2/${PROJECT}/instances/${INSTANCE}/connector/tasks`);

    expect(forTask.status).toBe(403);
    expect(forList.status).toBe(429);
  });

  it("forgets a task's fault when faults are cleared", async () => {
    simulator.setTaskFault(PROJECT, INSTANCE, TASK_ID, { kind: 'status', status: 503 });
    simulator.clearFaults();

    expect((await get(TASK_PATH)).status).toBe(200);
  });

  it('does not spend a fault on a request that fails verification', async () => {
    simulator.injectFault({ kind: 'status', status: 503 });

    const rejected = await get(TASK_PATH, { credentials: ROTATED_CREDENTIALS });
    const faulted = await get(TASK_PATH);

    expect(rejected.status).toBe(401);
    expect(faulted.status).toBe(503);
  });

  it('answers a slow fault normally once the delay is over', async () => {
    simulator.injectFault({ kind: 'slow', delayMs: 150 });
    const started = performance.now();

    const response = await get(TASK_PATH);

    expect(response.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('lets a client time out on a slow fault', async () => {
    simulator.injectFault({ kind: 'slow', delayMs: 5000 });

    const attempt = send(TASK_PATH, signedHeaders(TASK_PATH), { timeoutMs: 100 });

    await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('never answers a hang fault', async () => {
    simulator.injectFault({ kind: 'hang' });

    const attempt = send(TASK_PATH, signedHeaders(TASK_PATH), { timeoutMs: 200 });

    await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('resets the connection on a reset fault', async () => {
    simulator.injectFault({ kind: 'reset' });

    const attempt = send(TASK_PATH, signedHeaders(TASK_PATH));

    await expect(attempt).rejects.toMatchObject({ cause: { code: 'ECONNRESET' } });
  });

  it('sends an oversized body of exactly the requested size, Content-Length included', async () => {
    const bytes = 3 * 1024 * 1024;
    simulator.injectFault({ kind: 'oversized', bytes });

    const response = await get(TASK_PATH);

    expect(response.headers.get('content-length')).toBe(String(bytes));
    expect((await response.arrayBuffer()).byteLength).toBe(bytes);
  });

  it('streams an endless chunked body until the client gives up', async () => {
    simulator.injectFault({ kind: 'endless' });
    const response = await get(TASK_PATH);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();

    let received = 0;
    while (received < 4 * 1024 * 1024) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.byteLength;
    }
    await reader.cancel();

    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(received).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });

  it('answers an html fault with a text/html page', async () => {
    simulator.injectFault({ kind: 'html' });

    const response = await get(TASK_PATH);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toContain('<html>');
  });

  it('answers a redirect fault with 302 and its Location', async () => {
    simulator.injectFault({ kind: 'redirect', location: 'https://example.com/login' });

    const response = await get(TASK_PATH);

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://example.com/login');
  });

  it('answers a malformed-json fault with a JSON content type and a body that does not parse', async () => {
    simulator.injectFault({ kind: 'malformed-json' });

    const response = await get(TASK_PATH);

    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    await expect(response.json()).rejects.toMatchObject({ name: 'SyntaxError' });
  });

  it('answers a raw fault with exactly its status, body and content type', async () => {
    simulator.injectFault({ kind: 'raw', status: 207, body: '[1,2]', contentType: 'text/plain' });

    const response = await get(TASK_PATH);

    expect(response.status).toBe(207);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('[1,2]');
  });

  it('refuses an invalid fault when it is injected', () => {
    const fault: Fault = { kind: 'status', status: 42 };

    expect(() => simulator.injectFault(fault)).toThrow(RangeError);
    expect(() => simulator.setTaskFault(PROJECT, INSTANCE, TASK_ID, fault)).toThrow(RangeError);
  });
});

describe('request log', () => {
  it('records a served request with its date and access key', async () => {
    const headers = signedHeaders(TASK_PATH);

    await send(TASK_PATH, headers);

    const record = lastRequest();
    expect(record.method).toBe('GET');
    expect(record.path).toBe(TASK_PATH);
    expect(record.outcome).toBe('served');
    expect(record.status).toBe(200);
    expect(record.sdkDate).toBe(headers['x-sdk-date']);
    expect(record.accessKeyId === TEST_CREDENTIALS.accessKeyId).toBe(true);
  });

  it('records a rejected request with a reason free of the secret key', async () => {
    await get(TASK_PATH, { headers: { 'x-project-id': undefined } });

    const record = lastRequest();
    expect(record.outcome).toBe('rejected');
    expect(record.rejection).toMatch(/X-Project-Id/);
    expect(JSON.stringify(record).includes(TEST_CREDENTIALS.secretAccessKey)).toBe(false);
  });

  it('records a faulted request as a fault', async () => {
    simulator.injectFault({ kind: 'status', status: 503 });

    await get(TASK_PATH);

    expect(lastRequest()).toMatchObject({ outcome: 'fault', status: 503 });
  });

  it('forgets recorded requests when cleared', async () => {
    await get(TASK_PATH);

    simulator.clearRequests();

    expect(simulator.requests).toHaveLength(0);
  });
});

describe('throughput and latency', () => {
  it('adds the configured latency to served responses', async () => {
    simulator.setLatency(120);
    const started = performance.now();

    await get(TASK_PATH);

    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('serves 1,000 concurrent keep-alive requests', async () => {
    const responses = await Promise.all(
      Array.from({ length: 1000 }, async () => (await get(TASK_PATH)).status),
    );

    expect(responses.every((status) => status === 200)).toBe(true);
  });
});

describe('stop()', () => {
  const listeners = () =>
    process.getActiveResourcesInfo().filter((type) => type === 'TCPServerWrap').length;

  it('ends hung and endless responses and closes the listener', async () => {
    const before = listeners();
    const own = await HuaweiDmsSimulator.start({ credentials: [TEST_CREDENTIALS] });
    own.putTask(PROJECT, INSTANCE, exampleTask());
    own.injectFault({ kind: 'hang' });
    own.injectFault({ kind: 'endless' });
    const request = async () => {
      const host = new URL(own.url).host;
      const headers = signRequest(
        { method: 'GET', path: TASK_PATH, headers: { host, 'x-project-id': PROJECT } },
        TEST_CREDENTIALS,
        new Date(),
      );
      const response = await fetch(`${own.url}${TASK_PATH}`, {
        headers,
        signal: AbortSignal.timeout(5000),
      });
      return response.text();
    };
    // Settled from the start, so an early failed expectation can't leave a rejection unhandled.
    const inFlight = Promise.allSettled([request(), request()]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();

    await own.stop();

    expect(performance.now() - started).toBeLessThan(1000);
    const outcomes = await inFlight;
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    await expect(fetch(own.url, { signal: AbortSignal.timeout(2000) })).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    expect(listeners()).toBe(before);
  });
});
