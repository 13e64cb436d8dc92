/**
 * A real HTTP server that behaves like Huawei Cloud's API gateway in front of DMS for Kafka, for
 * integration tests, local runs and benchmarks. It verifies SDK-HMAC-SHA256 signatures with the
 * official Node SDK's helpers, not with our signer, so a canonicalisation bug on our side shows up
 * as a 401 instead of hiding behind the same bug on both ends.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  validateHeaderValue,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';

export interface SimulatorCredential {
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string;
}

export type Fault =
  | { kind: 'status'; status: number; errorCode?: string; retryAfter?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'oversized'; bytes: number }
  | { kind: 'endless' }
  | { kind: 'html' }
  | { kind: 'redirect'; location: string }
  | { kind: 'malformed-json' }
  /** `contentType` defaults to JSON. */
  | { kind: 'raw'; status: number; body: string; contentType?: string };

export interface RecordedRequest {
  method: string;
  /** As received on the wire, still percent-encoded, without the query. */
  path: string;
  /** As received on the wire, without `?`. */
  query: string;
  /** Lower-case names. Holds `authorization` and `x-security-token`: never print a record. */
  headers: Record<string, string>;
  sdkDate?: string;
  accessKeyId?: string;
  outcome: 'served' | 'rejected' | 'fault';
  /** Why the gateway refused the request; never contains a secret key. */
  rejection?: string;
  /** Status sent, when one was (not for `hang` or `reset`). */
  status?: number;
  /** By the gateway clock (`now`), the one the ±15 minute window is checked against. */
  receivedAt: Date;
}

export interface SimulatorOptions {
  credentials: SimulatorCredential[];
  /** Default 0: a free port. */
  port?: number;
  /** The gateway clock, for the ±15 minute `X-Sdk-Date` window. */
  now?: () => Date;
  /** Added to every served response, for benchmarks. */
  latencyMs?: number;
}

/** Codes the simulator answers with, for tests that assert on them. */
export const ERROR_CODES = {
  authenticationFailed: 'APIGW.0301',
  apiNotFound: 'APIGW.0101',
  throttled: 'APIGW.0308',
  requestError: 'APIGW.0201',
  accessDenied: 'APIGW.0306',
  instanceNotFound: 'DMS.00404022',
  /** Huawei does not document the code for a missing task: this one is the simulator's choice. */
  taskNotFound: 'DMS.00404060',
  invalidParameter: 'DMS.00400002',
} as const;

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const SDK_DATE_WINDOW_MS = 15 * 60 * 1000;
const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
const MAX_TASKS = 18;
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;
/** Longer than any client's idle timeout, so a benchmark never races the server closing a socket. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The official signer declares these helpers `protected`; they are plain statics at runtime. */
interface OfficialSignerHelpers {
  EMPTY_BODY_SHA256: string;
  SDK_SIGNING_ALGORITHM: string;
  CanonicalURI(decodedPath: string): string;
  CanonicalQueryString(request: { queryParams: Record<string, string | string[]> }): string;
  buildCanonicalHeaders(headers: Record<string, string>): string;
  buildCanonicalRequest(
    method: string,
    canonicalUri: string,
    canonicalQuery: string,
    canonicalHeaders: string,
    signedHeaders: string,
    payloadHash: string,
  ): string;
  Hex(data: string | Buffer): string;
  getStringToSign(algorithm: string, sdkDate: string, canonicalRequestHash: string): string;
  hmacSHA256(secretKey: string, data: string): string;
}
const official = AKSKSigner as unknown as OfficialSignerHelpers;

/** A refusal is always 401 APIGW.0301, so only its reason varies. */
type Verdict = { ok: true; credential: SimulatorCredential } | { ok: false; reason: string };

interface IncomingCall {
  method: string;
  segments: string[];
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Answer {
  status: number;
  body: string;
}

type Tasks = Map<string, Record<string, unknown>>;

export class HuaweiDmsSimulator {
  readonly url: string;
  private credentials = new Map<string, SimulatorCredential>();
  private latencyMs: number;
  private readonly now: () => Date;
  private readonly instances = new Map<string, Tasks>();
  private readonly faultQueue: { fault: Fault; remaining: number }[] = [];
  private persistentFault: Fault | undefined;
  /** Persistent faults of single tasks, by `instanceKey/taskId`. */
  private readonly taskFaults = new Map<string, Fault>();
  private recorded: RecordedRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    options: SimulatorOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.now = options.now ?? (() => new Date());
    this.latencyMs = validDelay(options.latencyMs ?? 0, 'latencyMs');
    this.setCredentials(options.credentials);
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.receive(req, res));
  }

  static async start(options: SimulatorOptions): Promise<HuaweiDmsSimulator> {
    const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS });
    // Node requires the header timeout to outlast keep-alive, or idle sockets time out early.
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new HuaweiDmsSimulator(server, options);
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  clearRequests(): void {
    this.recorded = [];
  }

  setCredentials(credentials: SimulatorCredential[]): void {
    this.credentials = new Map(credentials.map((c) => [c.accessKeyId, { ...c }]));
  }

  setLatency(ms: number): void {
    this.latencyMs = validDelay(ms, 'latency');
  }

  putInstance(projectId: string, instanceId: string): void {
    const key = instanceKey(projectId, instanceId);
    if (!this.instances.has(key)) this.instances.set(key, new Map());
  }

  putTask(projectId: string, instanceId: string, task: Record<string, unknown>): void {
    if (typeof task.id !== 'string' || task.id === '') {
      throw new TypeError('putTask: task.id must be a non-empty string');
    }
    this.putInstance(projectId, instanceId);
    // A copy, so a test changing its object afterwards doesn't change what the gateway serves.
    this.tasksOf(projectId, instanceId).set(task.id, structuredClone(task));
  }

  setTaskStatus(projectId: string, instanceId: string, taskId: string, status: string): void {
    const task = this.tasksOf(projectId, instanceId).get(taskId);
    if (!task) throw new Error(`setTaskStatus: no task ${taskId} in instance ${instanceId}`);
    task.status = status;
  }

  deleteTask(projectId: string, instanceId: string, taskId: string): void {
    this.instances.get(instanceKey(projectId, instanceId))?.delete(taskId);
  }

  deleteInstance(projectId: string, instanceId: string): void {
    this.instances.delete(instanceKey(projectId, instanceId));
  }

  injectFault(fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError('times must be a positive integer');
    }
    this.faultQueue.push({ fault: validFault(fault), remaining: times });
  }

  setFault(fault: Fault | undefined): void {
    this.persistentFault = fault && validFault(fault);
  }

  /**
   * A fault answering every request for one task (ShowConnectorTask) until it is set to
   * undefined; the task list and other tasks are served as usual. It comes before the faults of
   * injectFault and setFault, and spends none of them.
   */
  setTaskFault(
    projectId: string,
    instanceId: string,
    taskId: string,
    fault: Fault | undefined,
  ): void {
    const key = `${instanceKey(projectId, instanceId)}/${taskId}`;
    if (fault) this.taskFaults.set(key, validFault(fault));
    else this.taskFaults.delete(key);
  }

  /** Drops queued, persistent and per-task faults, for a clean slate between tests. */
  clearFaults(): void {
    this.faultQueue.length = 0;
    this.persistentFault = undefined;
    this.taskFaults.clear();
  }

  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve, reject) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close((error) => (error ? reject(error) : resolve()));
      // Hung and endless responses never finish on their own: close() alone would wait forever.
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.stopping;
  }

  private tasksOf(projectId: string, instanceId: string): Tasks {
    const tasks = this.instances.get(instanceKey(projectId, instanceId));
    if (!tasks) throw new Error(`no instance ${instanceId} in project ${projectId}`);
    return tasks;
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('X-Request-Id', randomUUID().replaceAll('-', ''));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (this.stopping) return;
      this.handle(req, res, size > MAX_REQUEST_BODY_BYTES ? undefined : Buffer.concat(chunks));
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    const rawPath = queryStart === -1 ? target : target.slice(0, queryStart);
    const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);
    const headers = flattenHeaders(req.headers);
    const now = this.now();
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: rawPath,
      query: rawQuery,
      headers,
      sdkDate: headers['x-sdk-date'],
      accessKeyId: parseAuthorization(req.headers.authorization)?.accessKeyId,
      outcome: 'served',
      receivedAt: now,
    };
    this.recorded.push(record);

    const reject = (status: number, errorCode: string, reason: string, message: string) => {
      record.outcome = 'rejected';
      record.rejection = reason;
      record.status = status;
      sendJson(res, status, errorBody(errorCode, message));
    };
    if (body === undefined) {
      reject(413, ERROR_CODES.requestError, 'request body too large', 'Request entity too large');
      return;
    }
    const segments = decodeSegments(rawPath);
    if (!segments) {
      reject(400, ERROR_CODES.requestError, 'malformed path encoding', 'Invalid request path');
      return;
    }
    const call: IncomingCall = {
      method: record.method,
      segments,
      query: parseQuery(rawQuery),
      headers: req.headers,
      body,
    };
    const verdict = verifySignature(call, this.credentials, now);
    if (!verdict.ok) {
      const ak = record.accessKeyId;
      // Real gateway messages can carry the AK: tests use this to prove we never forward them.
      const message = `Incorrect IAM authentication information: ${verdict.reason}${ak ? `, ak: ${ak}` : ''}`;
      reject(401, ERROR_CODES.authenticationFailed, verdict.reason, message);
      return;
    }

    const fault = this.taskFault(segments) ?? this.nextFault();
    if (fault) {
      record.outcome = 'fault';
      this.applyFault(fault, call, req, res, record, verdict.credential);
      return;
    }
    const answer = this.route(call);
    record.status = answer.status;
    this.after(this.latencyMs, () => sendJson(res, answer.status, answer.body));
  }

  private taskFault(segments: string[]): Fault | undefined {
    const target = matchTaskRoute(segments);
    if (target?.taskId === undefined || this.taskFaults.size === 0) return undefined;
    return this.taskFaults.get(
      `${instanceKey(target.projectId, target.instanceId)}/${target.taskId}`,
    );
  }

  private nextFault(): Fault | undefined {
    const queued = this.faultQueue[0];
    if (!queued) return this.persistentFault;
    queued.remaining -= 1;
    if (queued.remaining === 0) this.faultQueue.shift();
    return queued.fault;
  }

  private route(call: IncomingCall): Answer {
    const project = matchInstanceListRoute(call.segments);
    if (project !== undefined && call.method === 'GET') {
      return listInstances(project, this.instances, call.query);
    }
    const target = matchTaskRoute(call.segments);
    // The gateway matches method and path together, so a wrong method is an unknown API (404),
    // not a 405: APIG has no definition to say which methods would have been allowed.
    if (!target || call.method !== 'GET') {
      return errorAnswer(
        404,
        ERROR_CODES.apiNotFound,
        'The API does not exist or has not been published in the environment',
      );
    }
    const tasks = this.instances.get(instanceKey(target.projectId, target.instanceId));
    if (!tasks)
      return errorAnswer(404, ERROR_CODES.instanceNotFound, 'The instance does not exist.');
    if (target.taskId === undefined) return listTasks(tasks, call.query);
    const task = tasks.get(target.taskId);
    if (!task) {
      return errorAnswer(404, ERROR_CODES.taskNotFound, 'The Smart Connect task does not exist.');
    }
    return { status: 200, body: JSON.stringify(task) };
  }

  private applyFault(
    fault: Fault,
    call: IncomingCall,
    req: IncomingMessage,
    res: ServerResponse,
    record: RecordedRequest,
    credential: SimulatorCredential,
  ): void {
    switch (fault.kind) {
      case 'status': {
        record.status = fault.status;
        if (fault.retryAfter !== undefined) res.setHeader('Retry-After', fault.retryAfter);
        const code = fault.errorCode ?? defaultErrorCode(fault.status);
        const message = `Simulated failure ${fault.status} for access key ${credential.accessKeyId}`;
        sendJson(res, fault.status, errorBody(code, message));
        return;
      }
      case 'slow': {
        const { status, body } = this.route(call);
        record.status = status;
        this.after(fault.delayMs, () => sendJson(res, status, body));
        return;
      }
      case 'hang':
        return;
      case 'reset':
        // An RST, not a FIN: the client sees ECONNRESET rather than a clean end of stream.
        req.socket.resetAndDestroy();
        return;
      case 'oversized':
        record.status = 200;
        res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': fault.bytes });
        this.pump(res, oversizedChunks(fault.bytes));
        return;
      case 'endless':
        record.status = 200;
        res.writeHead(200, { 'Content-Type': JSON_TYPE });
        this.pump(res, endlessChunks());
        return;
      case 'html':
        record.status = 200;
        send(res, 200, HTML_TYPE, '<html><body><h1>502 Bad Gateway</h1></body></html>');
        return;
      case 'redirect':
        record.status = 302;
        res.setHeader('Location', fault.location);
        send(res, 302, HTML_TYPE, '<html><body>Found</body></html>');
        return;
      case 'malformed-json':
        record.status = 200;
        sendJson(res, 200, '{"id": "194917d0", "status": RUNNING');
        return;
      case 'raw':
        record.status = fault.status;
        send(res, fault.status, fault.contentType ?? JSON_TYPE, fault.body);
        return;
    }
  }

  /** Runs `action` after `ms`, on a timer stop() can cancel; synchronously when `ms` is 0. */
  private after(ms: number, action: () => void): void {
    if (ms <= 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  /** Writes chunks with backpressure, yielding between batches so one body can't starve the rest. */
  private pump(res: ServerResponse, chunks: Iterator<Buffer>): void {
    const step = () => {
      if (res.destroyed || this.stopping) return;
      for (let i = 0; i < 16; i += 1) {
        const next = chunks.next();
        if (next.done) {
          res.end();
          return;
        }
        if (!res.write(next.value)) {
          res.once('drain', step);
          return;
        }
      }
      setImmediate(step);
    };
    step();
  }
}

/** The API page's example 200 response. Its ids are masked with `****` there and stay so here. */
export function exampleTask(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_name: 'smart-connect-121248117',
    topics: 'topic-1643449744',
    source_task: {
      current_cluster_name: 'A',
      cluster_name: 'B',
      direction: 'pull',
      bootstrap_servers:
        '192.168.45.58:9092,192.168.44.1:9092,192.168.41.230:9092,192.168.43.112:9092',
      instance_id: '59f6d088-****-****-****-********',
      consumer_strategy: 'earliest',
      sync_consumer_offsets_enabled: false,
      rename_topic_enabled: false,
      provenance_header_enabled: false,
      security_protocol: 'PLAINTEXT',
      sasl_mechanism: 'PLAIN',
      user_name: '',
      topics_mapping: '',
      compression_type: 'none',
      task_num: 2,
      replication_factor: 3,
    },
    source_type: 'KAFKA_REPLICATOR_SOURCE',
    sink_task: null,
    sink_type: 'NONE',
    id: '194917d0-****-****-****-********',
    status: 'RUNNING',
    create_time: 1708427753133,
    ...overrides,
  };
}

/**
 * A dump-to-OBS task with every sink field of the API page's table. Part size, classes, converters
 * and delimiter are the defaults the page documents; the rest is made up but plausible.
 */
export function obsSinkTask(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    task_name: 'smart-connect-obs-dump',
    topics: 'topic-orders,topic-payments',
    source_type: 'NONE',
    source_task: null,
    sink_type: 'OBS_SINK',
    sink_task: {
      consumer_strategy: 'latest',
      destination_file_type: 'TEXT',
      deliver_time_interval: 300,
      obs_bucket_name: 'kafka-dump-bucket',
      obs_path: 'dms/orders',
      partition_format: 'yyyy/MM/dd/HH/mm',
      record_delimiter: '\n',
      store_keys: false,
      obs_part_size: 5242880,
      flush_size: 1000000,
      timezone: 'Asia/Shanghai',
      schema_generator_class: 'io.confluent.connect.storage.hive.schema.DefaultSchemaGenerator',
      partitioner_class: 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
      value_converter: 'org.apache.kafka.connect.converters.ByteArrayConverter',
      key_converter: 'org.apache.kafka.connect.converters.ByteArrayConverter',
      kv_delimiter: ':',
    },
    id: '7c3ec20c-11de-4df9-acc0-7ef1dea25dfe',
    status: 'RUNNING',
    create_time: 1708430000000,
    ...overrides,
  };
}

/**
 * The gateway's checks, in the gateway's order. Every failure is APIGW.0301 (401): a missing,
 * unsigned or foreign `X-Project-Id` included, because the project is part of what the AK is
 * authenticated for, and 401 is what tells a client not to retry.
 */
function verifySignature(
  call: IncomingCall,
  credentials: ReadonlyMap<string, SimulatorCredential>,
  now: Date,
): Verdict {
  const fail = (reason: string): Verdict => ({ ok: false, reason });
  const { headers } = call;
  if (headers.authorization === undefined) return fail('missing Authorization header');
  const auth = parseAuthorization(headers.authorization);
  if (!auth) return fail('unparseable Authorization header');
  const credential = credentials.get(auth.accessKeyId);
  if (!credential) return fail('unknown access key');
  const signed = auth.signedHeaders.split(';');
  if (!signed.includes('host') || !signed.includes('x-sdk-date')) {
    return fail('host and x-sdk-date must be signed');
  }
  const values: Record<string, string> = {};
  for (const name of signed) {
    const value = headers[name];
    if (typeof value !== 'string') return fail(`signed header ${name} missing`);
    values[name] = value;
  }
  const sdkDate = values['x-sdk-date'] ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return fail('malformed X-Sdk-Date');
  if (Math.abs(now.getTime() - signedAt) > SDK_DATE_WINDOW_MS) {
    return fail('X-Sdk-Date outside the 15 minute window');
  }
  const projectId = values['x-project-id'];
  if (projectId === undefined) return fail('X-Project-Id missing or unsigned');
  const pathProjectId = call.segments[1] === 'v2' ? call.segments[2] : undefined;
  if (pathProjectId !== undefined && projectId !== pathProjectId) {
    return fail('X-Project-Id does not match the path');
  }
  if (credential.securityToken !== undefined) {
    if (values['x-security-token'] !== credential.securityToken) {
      return fail('X-Security-Token missing, unsigned or wrong');
    }
  } else if (headers['x-security-token'] !== undefined) {
    // Stricter than needed, on purpose: it catches a client keeping an old token after rotation.
    return fail('X-Security-Token sent with a permanent access key');
  }

  const canonicalRequest = official.buildCanonicalRequest(
    call.method,
    official.CanonicalURI(call.segments.join('/')),
    official.CanonicalQueryString({ queryParams: call.query }),
    official.buildCanonicalHeaders(values),
    auth.signedHeaders,
    call.body.length === 0 ? official.EMPTY_BODY_SHA256 : official.Hex(call.body),
  );
  const stringToSign = official.getStringToSign(
    official.SDK_SIGNING_ALGORITHM,
    sdkDate,
    official.Hex(canonicalRequest),
  );
  const expected = official.hmacSHA256(credential.secretAccessKey, stringToSign);
  if (!/^[0-9a-f]{64}$/.test(auth.signature)) return fail('signature mismatch');
  const matches = timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'));
  return matches ? { ok: true, credential } : fail('signature mismatch');
}

function parseAuthorization(
  header: string | undefined,
): { accessKeyId: string; signedHeaders: string; signature: string } | undefined {
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^\s,]+)\s*,\s*SignedHeaders=([^\s,]+)\s*,\s*Signature=([^\s,]+)$/.exec(
      header ?? '',
    );
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  if (!match[2].split(';').every((name) => /^[a-z0-9_-]+$/.test(name))) return undefined;
  return { accessKeyId: match[1], signedHeaders: match[2], signature: match[3] };
}

/** `YYYYMMDDTHHmmssZ` to epoch ms; undefined for anything else, impossible dates included. */
function parseSdkDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date.getTime() : undefined;
}

/** Per segment, as the gateway decodes before canonicalising; undefined on bad `%` escapes. */
function decodeSegments(rawPath: string): string[] | undefined {
  try {
    return rawPath.split('/').map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * `+` reads as a space, as in Go's `url.Query()` on the gateway side; our signer sends `%20`,
 * which decodes the same. A repeated key becomes an array, the official signer's input shape.
 */
function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const params = new Map<string, string | string[]>();
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const previous = params.get(key);
    params.set(
      key,
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [previous, value],
    );
  }
  // fromEntries defines own properties, so a `__proto__` key stays a key.
  return Object.fromEntries(params);
}

/** `/v2/{project}/instances/{instance}/connector/tasks[/{task}]`, on decoded segments. */
function matchTaskRoute(
  segments: string[],
): { projectId: string; instanceId: string; taskId?: string } | undefined {
  const [root, version, projectId, instances, instanceId, connector, tasks, ...rest] = segments;
  const taskId = rest[0];
  const matches =
    root === '' &&
    version === 'v2' &&
    instances === 'instances' &&
    connector === 'connector' &&
    tasks === 'tasks' &&
    rest.length <= 1 &&
    taskId !== '';
  if (!matches || !projectId || !instanceId) return undefined;
  return { projectId, instanceId, taskId };
}

/** `/v2/{project}/instances` (ListInstances), on decoded segments: the project id. */
function matchInstanceListRoute(segments: string[]): string | undefined {
  const [root, version, projectId, instances, ...rest] = segments;
  const matches = root === '' && version === 'v2' && instances === 'instances' && rest.length === 0;
  return matches && projectId ? projectId : undefined;
}

/**
 * ListInstances as Huawei documents it: `engine` is required (`kafka` here), `limit` 1-50
 * (default 10), answered as `{ instances, instance_num }` in the order the instances were put.
 */
function listInstances(
  projectId: string,
  instances: ReadonlyMap<string, Tasks>,
  query: Record<string, string | string[]>,
): Answer {
  const offset = nonNegativeInteger(query.offset, 0);
  const limit = nonNegativeInteger(query.limit, DEFAULT_LIMIT);
  if (
    query.engine !== 'kafka' ||
    offset === undefined ||
    limit === undefined ||
    limit < 1 ||
    limit > MAX_LIMIT
  ) {
    return errorAnswer(
      400,
      ERROR_CODES.invalidParameter,
      `Invalid parameter: engine must be kafka, offset >= 0 and limit 1-${MAX_LIMIT}`,
    );
  }
  const prefix = instanceKey(projectId, '');
  const all = [...instances.keys()]
    .filter((key) => key.startsWith(prefix))
    .map((key) => ({
      instance_id: key.slice(prefix.length),
      name: `kafka-${key.slice(prefix.length, prefix.length + 8)}`,
      engine: 'kafka',
      engine_version: '2.7',
      status: 'RUNNING',
    }));
  return {
    status: 200,
    body: JSON.stringify({
      instances: all.slice(offset, offset + limit),
      instance_num: all.length,
    }),
  };
}

function listTasks(tasks: Tasks, query: Record<string, string | string[]>): Answer {
  const offset = nonNegativeInteger(query.offset, 0);
  const limit = nonNegativeInteger(query.limit, DEFAULT_LIMIT);
  if (offset === undefined || limit === undefined || limit < 1 || limit > MAX_LIMIT) {
    return errorAnswer(
      400,
      ERROR_CODES.invalidParameter,
      `Invalid parameter: offset must be >= 0 and limit 1-${MAX_LIMIT}`,
    );
  }
  const all = [...tasks.values()];
  return {
    status: 200,
    body: JSON.stringify({
      tasks: all.slice(offset, offset + limit),
      total_number: all.length,
      max_tasks: MAX_TASKS,
      quota_tasks: MAX_TASKS,
    }),
  };
}

function nonNegativeInteger(
  value: string | string[] | undefined,
  fallback: number,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function defaultErrorCode(status: number): string {
  if (status === 429) return ERROR_CODES.throttled;
  if (status === 401) return ERROR_CODES.authenticationFailed;
  if (status === 403) return ERROR_CODES.accessDenied;
  if (status === 404) return ERROR_CODES.apiNotFound;
  return ERROR_CODES.requestError;
}

/** Rejects bad faults where the test injects them, not later inside a request handler. */
function validFault(fault: Fault): Fault {
  switch (fault.kind) {
    case 'status':
    case 'raw':
      if (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) {
        throw new RangeError(`fault status must be 200-599, got ${fault.status}`);
      }
      if (fault.kind === 'status' && fault.retryAfter !== undefined) {
        validateHeaderValue('Retry-After', fault.retryAfter);
      }
      if (fault.kind === 'raw' && fault.contentType !== undefined) {
        validateHeaderValue('Content-Type', fault.contentType);
      }
      break;
    case 'slow':
      validDelay(fault.delayMs, 'delayMs');
      break;
    case 'oversized':
      if (!Number.isSafeInteger(fault.bytes) || fault.bytes < 0) {
        throw new RangeError('oversized bytes must be a non-negative integer');
      }
      break;
    case 'redirect':
      validateHeaderValue('Location', fault.location);
      break;
    default:
      break;
  }
  return { ...fault };
}

function validDelay(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a non-negative number`);
  return ms;
}

/** `{"padding":"xxx…"}`, exactly `bytes` long (spaces when too short for the braces). */
function* oversizedChunks(bytes: number): Generator<Buffer> {
  const head = '{"padding":"';
  const tail = '"}';
  if (bytes < head.length + tail.length) {
    yield Buffer.from(' '.repeat(bytes));
    return;
  }
  yield Buffer.from(head);
  const fill = Buffer.alloc(64 * 1024, 'x');
  let remaining = bytes - head.length - tail.length;
  while (remaining > 0) {
    const size = Math.min(remaining, fill.length);
    yield fill.subarray(0, size);
    remaining -= size;
  }
  yield Buffer.from(tail);
}

function* endlessChunks(): Generator<Buffer> {
  yield Buffer.from('{"tasks":[');
  const item = Buffer.from(`{"padding":"${'x'.repeat(16 * 1024)}"},`);
  for (;;) yield item;
}

function instanceKey(projectId: string, instanceId: string): string {
  return `${projectId}/${instanceId}`;
}

function errorBody(errorCode: string, errorMsg: string): string {
  return JSON.stringify({ error_code: errorCode, error_msg: errorMsg });
}

function errorAnswer(status: number, errorCode: string, errorMsg: string): Answer {
  return { status, body: errorBody(errorCode, errorMsg) };
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  send(res, status, JSON_TYPE, body);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  // A slow answer can outlive its client; writing to a closed socket would only throw.
  if (res.destroyed) return;
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
