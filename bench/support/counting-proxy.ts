import {
  Agent,
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One AWS API call seen by the proxy. Times are performance.now() in the benchmark process. */
export interface AwsCall {
  /** "DynamoDB.BatchGetItem", "SecretsManager.GetSecretValue", "EventBridge.PutEvents"… */
  readonly operation: string;
  readonly startedMs: number;
  endedMs: number;
  status: number | undefined;
  /** PutEvents only: entries in the request. */
  readonly entries?: number;
  /** PutItem only: the kind of item written, from its key ("TASK#", "HEALTH#"…). */
  readonly itemKind?: string;
  /** What was sent, while `keepRequests(true)`: enough to send the same call again. */
  readonly request?: RecordedAwsRequest;
}

/** A JSON-protocol AWS call as sent (headers other than these two are the signature's). */
export interface RecordedAwsRequest {
  readonly target: string;
  readonly contentType: string;
  readonly body: string;
}

const TARGET_SERVICES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'DynamoDB',
  secretsmanager: 'SecretsManager',
  AWSEvents: 'EventBridge',
  AmazonSQS: 'SQS',
};

/** JSON protocols name the call in X-Amz-Target; query protocols in the body's Action. */
export function classify(headers: IncomingMessage['headers'], body: string): string {
  const target = headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    const [prefix, action] = target.split('.', 2) as [string, string];
    return `${TARGET_SERVICES[prefix] ?? prefix}.${action}`;
  }
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(headers.authorization ?? '');
  const action = new URLSearchParams(body).get('Action');
  return `${scope?.[1] ?? 'unknown'}.${action ?? 'unknown'}`;
}

function putEventsEntries(operation: string, body: string): number | undefined {
  if (operation !== 'EventBridge.PutEvents') return undefined;
  try {
    return ((JSON.parse(body) as { Entries?: unknown[] }).Entries ?? []).length;
  } catch {
    return undefined;
  }
}

/** An answer the proxy gives itself instead of forwarding (a stand-in for one kind of call). */
export interface LocalAnswer {
  readonly status: number;
  readonly body: string;
}

/** A stand-in for some calls, and a witness of the others. */
export interface Interceptor {
  /** Sees every call before it is forwarded: an answer is sent instead of moto's. */
  answer(operation: string, body: string): LocalAnswer | undefined;
  /** Sees every forwarded call once moto has answered it, with moto's status. */
  answered(operation: string, body: string, status: number | undefined): void;
}

/** The item kind of a PutItem body: its partition key up to and including the first '#'. */
function putItemKind(operation: string, body: string): string | undefined {
  if (operation !== 'DynamoDB.PutItem') return undefined;
  try {
    const pk = (JSON.parse(body) as { Item?: { pk?: { S?: unknown } } }).Item?.pk?.S;
    if (typeof pk !== 'string') return 'unknown';
    const hash = pk.indexOf('#');
    return hash === -1 ? pk : pk.slice(0, hash + 1);
  } catch {
    return 'unknown';
  }
}

/**
 * A pass-through HTTP proxy in front of moto that records every AWS call: the AWS SDKs of the
 * process under test point AWS_ENDPOINT_URL here, so the counts are what the code really sent.
 */
export class CountingProxy {
  readonly url: string;
  #calls: AwsCall[] = [];
  #interceptor: Interceptor | undefined;
  #keepRequests = false;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 128 });

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.forward(req, res));
  }

  static async start(targetUrl: string): Promise<CountingProxy> {
    const server = createServer({ keepAliveTimeout: 65_000 });
    server.headersTimeout = 66_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new CountingProxy(server, new URL(targetUrl));
  }

  get calls(): readonly AwsCall[] {
    return this.#calls;
  }

  reset(): void {
    this.#calls = [];
  }

  /** While on, each call keeps its request (`AwsCall.request`), for a replay. */
  keepRequests(on: boolean): void {
    this.#keepRequests = on;
  }

  /** Until called again with undefined, `interceptor` sees every call and may answer it. */
  intercept(interceptor: Interceptor | undefined): void {
    this.#interceptor = interceptor;
  }

  /** Calls per operation. */
  counts(calls: readonly AwsCall[] = this.#calls): Map<string, number> {
    const counts = new Map<string, number>();
    for (const call of calls) counts.set(call.operation, (counts.get(call.operation) ?? 0) + 1);
    return counts;
  }

  stop(): Promise<void> {
    this.#agent.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const operation = classify(req.headers, text);
      const entries = putEventsEntries(operation, text);
      const itemKind = putItemKind(operation, text);
      const target = req.headers['x-amz-target'];
      const kept =
        this.#keepRequests && typeof target === 'string'
          ? { target, contentType: req.headers['content-type'] ?? '', body: text }
          : undefined;
      const call: AwsCall = {
        operation,
        startedMs: performance.now(),
        endedMs: Number.NaN,
        status: undefined,
        ...(entries === undefined ? {} : { entries }),
        ...(itemKind === undefined ? {} : { itemKind }),
        ...(kept === undefined ? {} : { request: kept }),
      };
      this.#calls.push(call);
      let answer: LocalAnswer | undefined;
      try {
        answer = this.#interceptor?.answer(operation, text);
      } catch (error) {
        answer = {
          status: 500,
          body: JSON.stringify({ __type: 'BenchProxyError', message: String(error) }),
        };
      }
      if (answer) this.answerLocally(call, res, answer);
      else this.send(req, res, body, call, operation, text);
    });
  }

  private answerLocally(call: AwsCall, res: ServerResponse, answer: LocalAnswer): void {
    call.status = answer.status;
    call.endedMs = performance.now();
    res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(answer.body);
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    call: AwsCall,
    operation: string,
    text: string,
  ): void {
    const interceptor = this.#interceptor;
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: this.target.host },
        agent: this.#agent,
      },
      (answer) => {
        call.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          call.endedMs = performance.now();
          interceptor?.answered(operation, text, answer.statusCode);
        });
      },
    );
    upstream.on('error', () => {
      call.endedMs = performance.now();
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  }
}
