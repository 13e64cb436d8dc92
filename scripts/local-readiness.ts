/**
 * How `npm start` (scripts/start-local.ts) knows its ports are its own: it refuses to start when
 * one is taken, and it calls the service ready only when our own route gives our own answer, not
 * when anything at all answers on the port.
 */
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { problemSchema } from '../lib/http/problem';

/** serverless-offline is told to listen here only, so the probe and the printed URLs reach it. */
export const LOCAL_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 3000;
/** serverless-offline's own offset: its default lambdaPort (3002) is its default httpPort + 2. */
export const LAMBDA_PORT_OFFSET = 2;

export interface LocalPort {
  readonly port: number;
  /** What listens there, for messages. */
  readonly role: string;
}

export interface LocalPorts {
  readonly http: LocalPort;
  readonly lambda: LocalPort;
}

/**
 * The ports `npm start` listens on, from `PORT`: the HTTP API on PORT, serverless-offline's
 * Lambda API (what `aws lambda invoke --endpoint-url` calls) on PORT + 2. moto_server and the
 * Huawei simulator take free ports chosen at run time; serverless.yml has no websocket or ALB
 * events, so serverless-offline opens no other port.
 */
export function localPorts(env: Readonly<Record<string, string | undefined>>): LocalPorts {
  const raw = env.PORT;
  const http = raw === undefined || raw === '' ? DEFAULT_HTTP_PORT : Number(raw);
  if (!/^\d*$/.test(raw ?? '') || !Number.isInteger(http) || http < 1 || http > 65535 - 2) {
    throw new Error(
      `PORT must be a port number from 1 to ${65535 - LAMBDA_PORT_OFFSET} (npm start also listens on PORT + ${LAMBDA_PORT_OFFSET}), not "${raw}".`,
    );
  }
  return {
    http: { port: http, role: 'the HTTP API' },
    lambda: {
      port: http + LAMBDA_PORT_OFFSET,
      role: "serverless-offline's Lambda API, for aws lambda invoke",
    },
  };
}

/** What to tell someone whose port is taken: which port, and how to choose others. */
export function portInUseMessage(busy: LocalPort, ports: LocalPorts): string {
  const suggestion =
    ports.http.port + 100 <= 65535 - LAMBDA_PORT_OFFSET ? ports.http.port + 100 : 3100;
  return (
    `Port ${busy.port} on ${LOCAL_HOST} (${busy.role}) is already in use by another program. ` +
    `npm start listens on PORT (now ${ports.http.port}) and PORT + ${LAMBDA_PORT_OFFSET} ` +
    `(now ${ports.lambda.port}); set PORT to choose others, e.g. PORT=${suggestion} npm start`
  );
}

/** The ports among `ports` that cannot be listened on at LOCAL_HOST right now. */
export async function busyPorts(ports: LocalPorts): Promise<LocalPort[]> {
  const busy: LocalPort[] = [];
  for (const port of [ports.http, ports.lambda]) {
    if (!(await canListen(port.port))) busy.push(port);
  }
  return busy;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      // EACCES: a privileged port; for us it is just as unusable.
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    });
    server.listen({ port, host: LOCAL_HOST, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * serverless-offline reports a port it could not take as hapi's error
 * ("listen EADDRINUSE: address already in use 127.0.0.1:3000") and exits 1; this finds which of
 * our ports that was in what it printed.
 */
export function portInUseFromOutput(output: string, ports: LocalPorts): LocalPort | undefined {
  for (const match of output.matchAll(/EADDRINUSE[^\n]*?:(\d+)\b/g)) {
    const port = Number(match[1]);
    const known = [ports.http, ports.lambda].find((p) => p.port === port);
    if (known) return known;
  }
  return undefined;
}

/** Not a UUID: the route refuses it with a 400 before any upstream call or table access. */
export const PROBE_TASK_ID = 'readiness-probe';

export type ProbeResult =
  | { readonly kind: 'ours' }
  /** Nothing answered (refused, reset, timed out): maybe not listening yet. */
  | { readonly kind: 'silent'; readonly reason: string }
  /** Something answered, but not what this service answers. */
  | { readonly kind: 'other'; readonly answer: string };

/**
 * One readiness check: GET the task route with a malformed task id and expect exactly this
 * service's answer, a 400 `application/problem+json` with code `INVALID_REQUEST` naming
 * `task_id`. Any other server on the port, or a handler that cannot start, answers otherwise.
 */
export async function probeService(
  baseUrl: string,
  route: { projectId: string; instanceId: string },
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeResult> {
  const url = `${baseUrl}/v2/${route.projectId}/instances/${route.instanceId}/connector/tasks/${PROBE_TASK_ID}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
    text = await response.text();
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    return { kind: 'silent', reason: describe(error) };
  }
  const contentType = response.headers.get('content-type') ?? '(no content-type)';
  const answer = `${response.status} ${contentType}`;
  if (response.status !== 400 || !contentType.startsWith('application/problem+json')) {
    return { kind: 'other', answer };
  }
  const problem = problemSchema.safeParse(parseJson(text));
  if (
    !problem.success ||
    problem.data.code !== 'INVALID_REQUEST' ||
    !problem.data.invalidFields?.some((field) => field.field === 'task_id')
  ) {
    return { kind: 'other', answer: `${answer}, but not this service's problem` };
  }
  return { kind: 'ours' };
}

/**
 * Probes until this service answers. Nothing answering is waited out (serverless-offline builds
 * the bundles first) up to `timeoutMs`; an answer from something else fails at once, naming the
 * port and `PORT`. `signal` stops the wait (serverless-offline exited), with its reason.
 */
export async function waitUntilServing(options: {
  ports: LocalPorts;
  route: { projectId: string; instanceId: string };
  timeoutMs: number;
  attemptTimeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
}): Promise<void> {
  const { ports, signal } = options;
  const baseUrl = `http://${LOCAL_HOST}:${ports.http.port}`;
  const giveUpAt = Date.now() + options.timeoutMs;
  let last = 'no attempt';
  while (Date.now() < giveUpAt) {
    signal?.throwIfAborted();
    const result = await probeService(baseUrl, options.route, {
      timeoutMs: Math.max(1, Math.min(options.attemptTimeoutMs ?? 20_000, giveUpAt - Date.now())),
      ...(signal ? { signal } : {}),
    });
    if (result.kind === 'ours') return;
    if (result.kind === 'other') {
      throw new Error(
        `${baseUrl} answered the readiness probe with ${result.answer} instead of this service's ` +
          `400 problem+json: another program is listening on port ${ports.http.port}, or the ` +
          `http function failed to start (see the [offline] lines above). npm start listens on ` +
          `PORT (now ${ports.http.port}) and PORT + ${LAMBDA_PORT_OFFSET}; set PORT to choose others.`,
      );
    }
    last = result.reason;
    await delay(options.intervalMs ?? 500, undefined, signal ? { signal } : {}).catch(() => {
      signal?.throwIfAborted();
    });
  }
  throw new Error(
    `The service did not answer on ${baseUrl} within ${Math.round(options.timeoutMs / 1000)} s (last: ${last}).`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof cause === 'string') return cause;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
