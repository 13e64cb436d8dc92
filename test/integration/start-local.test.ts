/**
 * `npm start` (scripts/start-local.ts): it refuses ports it cannot have, calls itself ready only
 * when its own route answers, and serves direct invokes on serverless-offline's Lambda API the
 * way the README says (errorType "Error", the error's name in `trace[0]`).
 *
 * The end-to-end tests run the real `npm start` in its own process group and, whatever happens,
 * stop every process it started (they are listed while it runs, and checked gone afterwards).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { InvalidRequestError } from '../../lib/errors';
import { toProblem } from '../../lib/http/problem';
import {
  LOCAL_HOST,
  PROBE_TASK_ID,
  busyPorts,
  localPorts,
  portInUseFromOutput,
  portInUseMessage,
  probeService,
  waitUntilServing,
  type LocalPorts,
} from '../../scripts/local-readiness';
import {
  DEMO_STEPS,
  DEMO_STUCK_AFTER,
  DEMO_TASKS,
  DEMO_UNOBSERVABLE_AFTER,
  STEP_MS,
  instanceOf,
  describeEvent,
  healthThresholds,
} from '../../scripts/local-demo';
import { EVENT_SOURCE } from '../../lib/status/status-event';
import { freePort } from '../support/moto';

const ROOT = `${__dirname}/../..`;
const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const INSTANCE_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const OTHER_INSTANCE_ID = 'a1b2c3d4-0000-4000-8000-000000000002';
const DEMO_TASK_ID = '0d5e7c1a-0000-4000-8000-00000000000a';
const ROUTE = { projectId: PROJECT_ID, instanceId: INSTANCE_ID };

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that is not this service, on LOCAL_HOST; port 0 for a free one. */
async function otherServer(
  port: number,
  answer: { status: number; contentType?: string; body: string } = {
    status: 200,
    contentType: 'text/html',
    body: '<h1>another app</h1>',
  },
): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(answer.status, answer.contentType ? { 'content-type': answer.contentType } : {});
    res.end(answer.body);
  });
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOCAL_HOST, resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** PORT such that PORT and PORT + 2 are both free now. */
async function freePortPair(): Promise<LocalPorts> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const ports = localPorts({ PORT: String(await freePort()) });
    if ((await busyPorts(ports)).length === 0) return ports;
  }
  throw new Error('no free pair of ports');
}

describe('the ports npm start listens on', () => {
  it('are PORT and PORT + 2, 3000 and 3002 when PORT is unset', () => {
    expect(localPorts({})).toMatchObject({ http: { port: 3000 }, lambda: { port: 3002 } });
    expect(localPorts({ PORT: '3100' })).toMatchObject({
      http: { port: 3100 },
      lambda: { port: 3102 },
    });
  });

  it.each(['abc', '0', '3000x', '-1', '65534', '1e3'])(
    'refuses PORT=%s, naming the variable',
    (value) => {
      expect(() => localPorts({ PORT: value })).toThrow(/^PORT must be a port number/);
    },
  );

  it('finds the one another program holds, whichever it is', async () => {
    const ports = await freePortPair();
    await otherServer(ports.lambda.port);
    expect(await busyPorts(ports)).toEqual([ports.lambda]);
    await otherServer(ports.http.port);
    expect(await busyPorts(ports)).toEqual([ports.http, ports.lambda]);
  });

  it("finds which port serverless-offline could not take in hapi's error", () => {
    const ports = localPorts({ PORT: '3417' });
    const output =
      '× Unexpected error while starting serverless-offline server on port 3417: ' +
      '{ Error: listen EADDRINUSE: address already in use 127.0.0.1:3417\n  code: ...';
    expect(portInUseFromOutput(output, ports)).toBe(ports.http);
    expect(portInUseFromOutput('listening on 127.0.0.1:3417', ports)).toBeUndefined();
    expect(portInUseMessage(ports.http, ports)).toMatch(/^Port 3417 on 127\.0\.0\.1 .*set PORT/);
  });
});

describe('the readiness probe', () => {
  const ourProblem = toProblem(
    new InvalidRequestError('Invalid path parameters.', [
      { field: 'task_id', problem: 'must be a lowercase UUID' },
    ]),
  );

  it('accepts only our 400 problem+json naming task_id', async () => {
    const port = await otherServer(0, {
      status: 400,
      contentType: 'application/problem+json',
      body: JSON.stringify(ourProblem),
    });
    const result = await probeService(`http://${LOCAL_HOST}:${port}`, ROUTE, { timeoutMs: 5000 });
    expect(result).toEqual({ kind: 'ours' });
  });

  it.each([
    { label: 'a web page', status: 200, contentType: 'text/html', body: '<h1>hi</h1>' },
    { label: "someone else's 404", status: 404, contentType: 'application/json', body: '{}' },
    {
      label: 'a problem+json of another shape',
      status: 400,
      contentType: 'application/problem+json',
      body: JSON.stringify({ title: 'Bad Request', status: 400 }),
    },
    {
      label: 'our problem about another field',
      status: 400,
      contentType: 'application/problem+json',
      body: JSON.stringify({ ...ourProblem, invalidFields: [{ field: 'x', problem: 'y' }] }),
    },
  ])('calls $label something else', async (answer) => {
    const port = await otherServer(0, answer);
    const result = await probeService(`http://${LOCAL_HOST}:${port}`, ROUTE, { timeoutMs: 5000 });
    expect(result.kind).toBe('other');
  });

  it('asks with a task id the route refuses before doing anything', () => {
    expect(PROBE_TASK_ID).not.toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('fails at once, naming the port and PORT, when another server answers', async () => {
    const ports = await freePortPair();
    await otherServer(ports.http.port);
    const started = Date.now();
    await expect(waitUntilServing({ ports, route: ROUTE, timeoutMs: 60_000 })).rejects.toThrow(
      new RegExp(`another program is listening on port ${ports.http.port}.*set PORT`),
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('waits while nothing answers, up to its bound', async () => {
    const ports = await freePortPair();
    await expect(
      waitUntilServing({ ports, route: ROUTE, timeoutMs: 600, intervalMs: 100 }),
    ).rejects.toThrow(/did not answer .* within/);
  });

  it('stops waiting with the reason when told to (serverless-offline exited)', async () => {
    const ports = await freePortPair();
    const exited = new AbortController();
    setTimeout(() => exited.abort(new Error('serverless-offline exited (1).')), 200);
    await expect(
      waitUntilServing({ ports, route: ROUTE, timeoutMs: 60_000, signal: exited.signal }),
    ).rejects.toThrow('serverless-offline exited (1).');
  });
});

interface NpmStart {
  readonly child: ChildProcess;
  /** Every process seen under it so far (serverless-offline runs in a process group of its own). */
  readonly seen: Set<number>;
  output(): string;
  /** How it ended: an exit code, or the signal that ended it. */
  readonly exited: Promise<number | NodeJS.Signals>;
}

/** `promise`, or 'timeout' after `ms` (the timer does not outlive the race). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function startNpmStart(port: number, env: Record<string, string> = {}): NpmStart {
  const child = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const seen = new Set<number>();
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'SIGKILL')),
  );
  const watch = setInterval(() => {
    for (const pid of descendants(child.pid!)) seen.add(pid);
  }, 200);
  void exited.then(() => clearInterval(watch));
  return { child, seen, output: () => output, exited };
}

function descendants(root: number): number[] {
  let table: [number, number][];
  try {
    table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  } catch {
    return [];
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of table) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process is left in the group `npm start` leads (moto_server runs there). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What of `run` is still alive after a grace period (processes seen under it, and its process
 * group); then it is killed regardless.
 */
async function leftBehind(run: NpmStart, graceMs: number): Promise<string[]> {
  const pgid = run.child.pid!;
  const remaining = () => [
    ...[...run.seen].filter(alive).map((pid) => `pid ${pid}`),
    ...(groupAlive(pgid) ? [`process group ${pgid}`] : []),
  ];
  const until = Date.now() + graceMs;
  while (remaining().length > 0 && Date.now() < until) await delay(200);
  const left = remaining();
  for (const pid of [...run.seen, -pgid]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return left;
}

/** Stops `npm start` as Ctrl-C would (the whole foreground group), then SIGKILL after a bound. */
async function stop(run: NpmStart): Promise<number | NodeJS.Signals | 'timeout'> {
  if (run.child.exitCode === null && run.child.signalCode === null) {
    try {
      process.kill(-run.child.pid!, 'SIGINT');
    } catch {
      // already gone
    }
  }
  const ended = await within(run.exited, 30_000);
  if (ended === 'timeout') {
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return ended;
}

async function waitForOutput(run: NpmStart, pattern: RegExp, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited:\n${run.output()}`);
    if (Date.now() > until)
      throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${run.output()}`);
    await delay(200);
  }
}

describe('npm start when a port is taken', () => {
  it.each(['http', 'lambda'] as const)(
    'exits non-zero at once, naming the port and PORT, when the %s port is taken, leaving nothing running',
    async (which) => {
      const ports = await freePortPair();
      await otherServer(ports[which].port);
      const run = startNpmStart(ports.http.port);
      const code = await within(run.exited, 30_000);
      const left = await leftBehind(run, 5_000);
      if (code === 'timeout') await stop(run);

      expect(code).toBe(1);
      expect(run.output()).toContain(
        `npm start failed: Port ${ports[which].port} on ${LOCAL_HOST} (${ports[which].role}) is already in use`,
      );
      expect(run.output()).toMatch(/set PORT to choose others/);
      expect(run.output()).not.toMatch(/^Ready/m);
      expect(left).toEqual([]);
    },
    45_000,
  );
});

/** The method and URL of the curl `npm start` printed for the call labelled `label`. */
function printedCall(run: NpmStart, label: string): { method: string; url: string } {
  const line = run
    .output()
    .split('\n')
    .find((l) => l.trimStart().startsWith(`${label}:`));
  const match = line && /curl -s (?:-w '[^']*' )?(?:-X (PUT|DELETE) )?'([^']+)'$/.exec(line);
  if (!match) throw new Error(`no "${label}" call printed:\n${run.output()}`);
  return { method: match[1] ?? 'GET', url: match[2]! };
}

/** The URL `npm start` printed for the GET labelled `label`. */
function printedUrl(run: NpmStart, label: string): string {
  const { method, url } = printedCall(run, label);
  expect(method).toBe('GET');
  return url;
}

describe('direct invoke under npm start (serverless-offline)', () => {
  let run: NpmStart | undefined;
  let ports: LocalPorts;
  let readyAt = 0;

  beforeAll(async () => {
    ports = await freePortPair();
    // A stuck threshold of seconds, so one more poll shows the Stuck event.
    run = startNpmStart(ports.http.port, { STUCK_AFTER: 'RESTARTING=2s' });
    await waitForOutput(run, /^Ready\./m, 150_000);
    readyAt = Date.now();
  }, 160_000);

  afterAll(async () => {
    // Only if a test failed before the last one stopped it.
    if (run) await stop(run).then(() => leftBehind(run!, 10_000));
  }, 60_000);

  function invoke(functionName: string, payload: unknown): Promise<Response> {
    return fetch(
      `http://${LOCAL_HOST}:${ports.lambda.port}/2015-03-31/functions/${functionName}/invocations`,
      { method: 'POST', body: JSON.stringify(payload) },
    );
  }

  it('prints a curl that reaches this service', async () => {
    const url = printedUrl(run!, 'one task');
    expect(url).toBe(
      `http://${LOCAL_HOST}:${ports.http.port}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks/${DEMO_TASK_ID}`,
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: DEMO_TASK_ID, name: 'replicate-orders' });
  });

  it('prints a list call that answers every demo task of the instance', async () => {
    const url = printedUrl(run!, 'every task of the instance');
    expect(url).toBe(
      `http://${LOCAL_HOST}:${ports.http.port}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks`,
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { tasks: { id: string }[]; total: number };
    const ofInstance = DEMO_TASKS.filter((task) => instanceOf(task) === INSTANCE_ID);
    expect(body.tasks.map((t) => t.id).sort()).toEqual(ofInstance.map((t) => t.id).sort());
  });

  it("prints a history call that answers the first poll's transition", async () => {
    const url = printedUrl(run!, "the task's last 5 status changes");
    expect(url).toBe(
      `http://${LOCAL_HOST}:${ports.http.port}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks/${DEMO_TASK_ID}/history?limit=5`,
    );
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      transitions: [{ sequence: 1, previousStatus: null, status: 'RUNNING' }],
    });
  });

  it('prints a watch-list call that answers the demo instance and task watched by WATCHED_TASKS', async () => {
    const url = printedUrl(run!, 'every watch');
    expect(url).toBe(`http://${LOCAL_HOST}:${ports.http.port}/watches`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      watches: [
        {
          key: `${PROJECT_ID}/${INSTANCE_ID}/*`,
          scope: 'instance',
          source: 'environment',
          readOnly: true,
        },
        {
          key: `${PROJECT_ID}/${OTHER_INSTANCE_ID}/${DEMO_TASKS[4]!.id}`,
          scope: 'task',
          source: 'environment',
          readOnly: true,
        },
      ],
    });
  });

  it('prints PUT calls that store a watch (201, then 200 when put again)', async () => {
    const instance = printedCall(run!, 'watch the whole instance');
    expect(instance).toEqual({
      method: 'PUT',
      url: `http://${LOCAL_HOST}:${ports.http.port}/watches/${PROJECT_ID}/instances/${INSTANCE_ID}`,
    });
    const first = await fetch(instance.url, { method: 'PUT' });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ scope: 'instance', source: 'stored' });
    const again = await fetch(instance.url, { method: 'PUT' });
    expect(again.status).toBe(200);
    await again.arrayBuffer();

    const task = printedCall(run!, 'watch one task');
    expect(task).toEqual({ method: 'PUT', url: `${instance.url}/connector/tasks/${DEMO_TASK_ID}` });
    const put = await fetch(task.url, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ scope: 'task', taskId: DEMO_TASK_ID });
  });

  it('prints a DELETE call that removes the task watch (204)', async () => {
    const call = printedCall(run!, 'stop watching that task');
    expect(call).toEqual({ method: 'DELETE', url: printedCall(run!, 'watch one task').url });
    const response = await fetch(call.url, { method: 'DELETE' });
    expect(response.status).toBe(204);
    await response.arrayBuffer();
    const list = await fetch(printedUrl(run!, 'every watch'));
    const { watches } = (await list.json()) as { watches: { key: string }[] };
    expect(watches.map((w) => w.key)).toEqual([
      `${PROJECT_ID}/${INSTANCE_ID}/*`,
      `${PROJECT_ID}/${OTHER_INSTANCE_ID}/${DEMO_TASKS[4]!.id}`,
      `${PROJECT_ID}/${INSTANCE_ID}/*`,
    ]);
  });

  it('prints Stuck and Unobservable events after a poll past their thresholds', async () => {
    // The first poll ran before Ready; this is the second (UNOBSERVABLE_AFTER is 2 locally).
    await delay(Math.max(0, readyAt + 2_500 - Date.now()));
    const response = await invoke('huawei-dms-connector-status-local-scheduled', {});
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    await waitForOutput(
      run!,
      /^\[event\] Smart Connect Task Stuck: rebalance-payments has been RESTARTING since .* longer than 2s/m,
      30_000,
    );
    await waitForOutput(
      run!,
      /^\[event\] Smart Connect Task Unobservable: export-invoices could not be read by 2 polls in a row .*UPSTREAM_UNAVAILABLE/m,
      30_000,
    );
  }, 45_000);

  it('answers <service>-local-invoke with the observation', async () => {
    const response = await invoke('huawei-dms-connector-status-local-invoke', {
      instanceId: INSTANCE_ID,
      taskId: DEMO_TASK_ID,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    expect(await response.json()).toMatchObject({
      task: { id: DEMO_TASK_ID, status: 'RUNNING' },
      statusChanged: expect.any(Boolean),
    });
  });

  it.each([
    {
      label: 'an invalid payload',
      payload: { instanceId: INSTANCE_ID },
      name: 'InvalidRequestError',
    },
    {
      label: 'a task that does not exist',
      payload: { instanceId: INSTANCE_ID, taskId: '0d5e7c1a-0000-4000-8000-0000000000ff' },
      name: 'TaskNotFoundError',
    },
  ])(
    'reports $label as errorType "Error", the error name only in trace[0]',
    async ({ payload, name }) => {
      const response = await invoke('huawei-dms-connector-status-local-invoke', payload);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
      const body = (await response.json()) as {
        errorType: string;
        errorMessage: string;
        trace: string[];
      };
      expect(body.errorType).toBe('Error');
      expect(body.trace).toEqual([`${name}: ${body.errorMessage}`]);
      expect(body.trace[0]!.split(': ')[0]).toBe(name);
    },
  );

  it('answers an unknown function name with 404 ResourceNotFoundException', async () => {
    const response = await invoke('huawei-dms-connector-status-local-nope', {});
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    await response.arrayBuffer();
  });

  it('stops everything it started on Ctrl-C', async () => {
    const current = run!;
    expect(current.seen.size).toBeGreaterThan(3);
    const ended = await stop(current);
    const left = await leftBehind(current, 10_000);
    run = undefined;
    expect(ended).not.toBe('timeout');
    expect(current.output()).toMatch(/^Stopped\.$/m);
    expect(left).toEqual([]);
  }, 60_000);
});

describe('the demo npm start runs', () => {
  const byName = (name: string) => DEMO_TASKS.findIndex((task) => task.name === name);
  /** When step `index` happens, after ready. */
  const stepAt = (index: number) => (index + 1) * STEP_MS;
  const POLL_MS = 60_000;

  it('has a task that stays RESTARTING until a poll past the local STUCK_AFTER has run', () => {
    const stuck = byName('rebalance-payments');
    expect(DEMO_TASKS[stuck]!.status).toBe('RESTARTING');
    const changed = DEMO_STEPS.findIndex((step) => step.task === stuck);
    // Seen at the first poll (at ready); reported by the first poll at least 2m later.
    expect(stepAt(changed)).toBeGreaterThanOrEqual(2 * 60_000 + POLL_MS);
    expect(DEMO_STUCK_AFTER).toMatch(/^RESTARTING=2m\b/);
  });

  it('has a task that fails until UNOBSERVABLE_AFTER polls have run, then is healed', () => {
    const faulty = byName('export-invoices');
    expect(DEMO_TASKS[faulty]!.fault).toBeDefined();
    const healed = DEMO_STEPS.findIndex((step) => step.task === faulty && 'heal' in step);
    expect(healed).toBeGreaterThanOrEqual(0);
    expect(stepAt(healed)).toBeGreaterThan((Number(DEMO_UNOBSERVABLE_AFTER) - 1) * POLL_MS);
  });

  it('restarts another task for less than STUCK_AFTER: a status change, no Stuck event', () => {
    const task = byName('dump-clicks-to-obs');
    const restart = DEMO_STEPS.findIndex(
      (s) => s.task === task && 'status' in s && s.status === 'RESTARTING',
    );
    const back = DEMO_STEPS.findIndex((s, i) => i > restart && s.task === task);
    expect(restart).toBeGreaterThanOrEqual(0);
    expect(stepAt(back) - stepAt(restart)).toBeLessThan(2 * 60_000 - POLL_MS);
  });

  it('runs with the demo thresholds unless the environment sets others', () => {
    expect(healthThresholds({})).toEqual({
      STUCK_AFTER: DEMO_STUCK_AFTER,
      UNOBSERVABLE_AFTER: DEMO_UNOBSERVABLE_AFTER,
    });
    expect(healthThresholds({ STUCK_AFTER: 'RESTARTING=5s', UNOBSERVABLE_AFTER: '4' })).toEqual({
      STUCK_AFTER: 'RESTARTING=5s',
      UNOBSERVABLE_AFTER: '4',
    });
  });

  it('refuses thresholds the poller would refuse, naming the variable', () => {
    expect(() => healthThresholds({ STUCK_AFTER: 'RESTARTING=soon' })).toThrow(/STUCK_AFTER/);
    expect(() => healthThresholds({ UNOBSERVABLE_AFTER: '0' })).toThrow(/UNOBSERVABLE_AFTER/);
  });

  const about = {
    projectId: PROJECT_ID,
    instanceId: INSTANCE_ID,
    observedAt: '2026-12-02T04:33:00.000Z',
    eventId: '6c0d8c69-7764-5015-b71d-20735ea3349b',
  };
  const event = (detailType: string, detail: object) => ({
    source: EVENT_SOURCE,
    'detail-type': detailType,
    detail,
  });

  it.each([
    {
      detailType: 'Smart Connect Task Stuck',
      detail: {
        ...about,
        taskId: DEMO_TASKS[3]!.id,
        condition: 'STUCK',
        status: 'RESTARTING',
        statusSince: '2026-12-02T04:30:00.000Z',
        stuckAfterMs: 120_000,
      },
      line: 'Smart Connect Task Stuck: rebalance-payments has been RESTARTING since 04:30:00 UTC, longer than 2m (STUCK_AFTER)',
    },
    {
      detailType: 'Smart Connect Task Unobservable',
      detail: {
        ...about,
        taskId: DEMO_TASKS[4]!.id,
        condition: 'UNOBSERVABLE',
        since: '2026-12-02T04:31:00.000Z',
        failedPolls: 2,
        lastErrorCode: 'UPSTREAM_UNAVAILABLE',
      },
      line: 'Smart Connect Task Unobservable: export-invoices could not be read by 2 polls in a row since 04:31:00 UTC (last: UPSTREAM_UNAVAILABLE)',
    },
    {
      detailType: 'Smart Connect Task Observable Again',
      detail: {
        ...about,
        taskId: DEMO_TASKS[4]!.id,
        condition: 'OBSERVABLE_AGAIN',
        unobservableSince: '2026-12-02T04:31:00.000Z',
      },
      line: 'Smart Connect Task Observable Again: export-invoices was read again (unobservable since 04:31:00 UTC)',
    },
  ])('prints "$detailType" in one readable line', ({ detailType, detail, line }) => {
    expect(describeEvent(event(detailType, detail))).toBe(
      `[event] ${line}  eventId=${about.eventId}`,
    );
  });

  it('prints an event of a detail type it does not know as it came, and ignores other sources', () => {
    expect(describeEvent(event('Something New', { a: 1 }))).toBe('[event] Something New: {"a":1}');
    expect(describeEvent({ source: 'other', 'detail-type': 'x', detail: {} })).toBeUndefined();
    expect(describeEvent(undefined)).toBeUndefined();
  });
});
