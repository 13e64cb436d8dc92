import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface TransportRequest {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole attempt: connect, headers and body. */
  readonly timeoutMs: number;
  /** A new connection that is not up by then fails the attempt early (a black-holed address). */
  readonly connectTimeoutMs?: number;
  readonly maxResponseBytes: number;
  readonly signal?: AbortSignal;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * `invalid-request`: node refused to build the request (a header it cannot encode, say) before
 * anything was sent; the same request can never succeed, so it is not worth retrying.
 */
export type TransportFailure = 'timeout' | 'aborted' | 'network' | 'too-large' | 'invalid-request';

/** A failed attempt. Carries no request data: nothing here can leak a header. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: TransportFailure,
    cause?: unknown,
  ) {
    super(
      `HTTP attempt failed: ${kind}`,
      cause === undefined ? undefined : { cause: safeCause(cause) },
    );
  }
}

/** Keeps only the socket error code: node errors are safe, but nothing else needs to travel. */
function safeCause(cause: unknown): unknown {
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? { code } : undefined;
}

export type HttpTransport = (request: TransportRequest) => Promise<TransportResponse>;

export interface TransportOptions {
  /** Sockets kept per host; a warm Lambda reuses them across invocations. */
  readonly maxSockets?: number;
}

/**
 * One HTTP attempt over node:http(s) with keep-alive agents created once per cold start.
 * Redirects are never followed (node does not follow them), bodies above the cap are cut off.
 */
export function createHttpTransport(options: TransportOptions = {}): HttpTransport {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 64,
    scheduling: 'lifo' as const,
  };
  const httpsAgent = new HttpsAgent(agentOptions);
  const httpAgent = new HttpAgent(agentOptions);

  return (request) =>
    new Promise<TransportResponse>((resolve, reject) => {
      if (request.signal?.aborted) {
        reject(new TransportError('aborted'));
        return;
      }
      const isHttps = request.url.protocol === 'https:';
      const send = isHttps ? httpsRequest : httpRequest;
      let settled = false;
      // Unassigned while node builds the request: it may throw before there is one to destroy.
      let req: ClientRequest | undefined;
      let connectTimer: NodeJS.Timeout | undefined;
      const finish = (error: TransportError | undefined, response?: TransportResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(connectTimer);
        request.signal?.removeEventListener('abort', onAbort);
        if (error) {
          req?.destroy();
          reject(error);
        } else if (response) {
          resolve(response);
        }
      };
      const onAbort = () => finish(new TransportError('aborted'));
      const timer = setTimeout(() => finish(new TransportError('timeout')), request.timeoutMs);

      try {
        req = send(
          request.url,
          {
            method: request.method,
            headers: request.headers,
            agent: isHttps ? httpsAgent : httpAgent,
          },
          (res) => {
            const declared = Number(res.headers['content-length']);
            // finish() destroys the request (and so this response): settle first, or the
            // destruction would be reported as a network error.
            if (Number.isFinite(declared) && declared > request.maxResponseBytes) {
              finish(new TransportError('too-large'));
              return;
            }
            const chunks: Buffer[] = [];
            let received = 0;
            res.on('data', (chunk: Buffer) => {
              received += chunk.length;
              if (received > request.maxResponseBytes) {
                finish(new TransportError('too-large'));
                return;
              }
              chunks.push(chunk);
            });
            res.on('end', () =>
              finish(undefined, {
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: Buffer.concat(chunks, received),
              }),
            );
            res.on('error', (error) => finish(new TransportError('network', error)));
            res.on('aborted', () => finish(new TransportError('network')));
          },
        );
      } catch (error) {
        // Some of node's messages quote the offending header value, which may be a credential:
        // only the error code travels on (safeCause).
        finish(new TransportError('invalid-request', error));
        return;
      }
      req.on('error', (error) => finish(new TransportError('network', error)));
      const { connectTimeoutMs } = request;
      if (connectTimeoutMs !== undefined) {
        req.once('socket', (socket) => {
          // A kept-alive socket is connected already: only a new connection is timed.
          if (!socket.connecting) return;
          connectTimer = setTimeout(() => finish(new TransportError('timeout')), connectTimeoutMs);
          socket.once('connect', () => clearTimeout(connectTimer));
        });
      }
      request.signal?.addEventListener('abort', onAbort, { once: true });
      req.end(request.body);
    });
}
