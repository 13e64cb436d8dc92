/**
 * The warm child: the bundled http handler in-process (extracted from .serverless/http.zip), and
 * beside it two references. The bare GET: the same upstream request signed with
 * lib/huawei/signer.ts and sent with node:http over a keep-alive agent (the transport our handler
 * uses), its JSON body parsed. The floor: that GET and then, as the observer must, a GetItem of
 * the stored status signed with lib/aws/sigv4.ts, sent and parsed the same way. All three run in
 * blocks of `concurrency` requests in flight, in rotating order, then one at a time in rounds.
 */
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { signSigV4 } from '../../lib/aws/sigv4';
import { signRequest } from '../../lib/huawei/signer';
import { lambdaContext } from '../../test/support/lambda';
import {
  INPUT_VARIABLE,
  RESULT_FILE_VARIABLE,
  type WarmBlock,
  type WarmInput,
  type WarmKind,
  type WarmResult,
} from './protocol';

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode?: number }>;

const input = JSON.parse(process.env[INPUT_VARIABLE] ?? '') as WarmInput;
const handler = (createRequire(__filename)(input.module) as Record<string, Handler>)[
  input.exportName
] as Handler;
const upstream = new URL(input.upstreamUrl);
const path = `/v2/${input.projectId}/instances/${input.instanceId}/connector/tasks/${input.taskId}`;
// The options createHttpTransport() uses.
const agent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' });

let failures = 0;
let firstFailure: string | undefined;

function bareRequest(): Promise<void> {
  const headers = signRequest(
    {
      method: 'GET',
      path,
      headers: {
        host: upstream.host,
        'content-type': 'application/json',
        'x-project-id': input.projectId,
      },
    },
    input.credentials,
    new Date(),
  );
  return new Promise((resolve, reject) => {
    const req = request(
      { host: upstream.hostname, port: upstream.port, path, method: 'GET', headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string };
          if (res.statusCode !== 200 || body.id !== input.taskId) {
            reject(new Error(`bare request: HTTP ${res.statusCode}`));
          } else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const dynamoDb = new URL(input.dynamoDb.url);

function bareGetItem(): Promise<void> {
  const body = input.dynamoDb.requestBody;
  const headers = signSigV4(
    {
      method: 'POST',
      path: '/',
      headers: {
        host: dynamoDb.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      },
      body,
    },
    input.dynamoDb.credentials,
    { region: input.dynamoDb.region, service: 'dynamodb' },
    new Date(),
  );
  headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: dynamoDb.hostname, port: dynamoDb.port, path: '/', method: 'POST', headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const output = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Item?: unknown };
          if (res.statusCode !== 200 || output.Item === undefined) {
            reject(new Error(`floor GetItem: HTTP ${res.statusCode}`));
          } else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function floorRequest(): Promise<void> {
  await bareRequest();
  await bareGetItem();
}

async function handlerRequest(): Promise<void> {
  const response = await handler(input.event, lambdaContext(10_000, 'huawei-dms-bench-http'));
  if (response.statusCode !== 200) throw new Error(`handler: HTTP ${response.statusCode}`);
}

const send = { handler: handlerRequest, bare: bareRequest, floor: floorRequest } as const;
const KINDS: readonly WarmKind[] = ['handler', 'bare', 'floor'];

/** Round `i`'s order: each kind goes first, second and third equally often. */
function rotated(i: number): WarmKind[] {
  return KINDS.map((_, k) => KINDS[(i + k) % KINDS.length]!);
}

async function timed(kind: WarmKind): Promise<number> {
  const started = performance.now();
  try {
    await send[kind]();
  } catch (error) {
    failures += 1;
    firstFailure ??= error instanceof Error ? error.message : String(error);
  }
  return performance.now() - started;
}

async function block(kind: WarmKind, requests: number): Promise<WarmBlock> {
  const latenciesMs = new Array<number>(requests);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) latenciesMs[i] = await timed(kind);
  };
  await Promise.all(Array.from({ length: Math.min(input.concurrency, requests) }, worker));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { kind, wallMs, cpuMs: (used.user + used.system) / 1000, latenciesMs };
}

async function main(): Promise<void> {
  // Warm-up: JIT, sockets, the cached secret. Not recorded (a failure still counts).
  await block('handler', input.warmupRequests);
  await block('bare', input.warmupRequests);
  await block('floor', input.warmupRequests);

  const concurrent: WarmBlock[] = [];
  const perBlock = Math.ceil(input.requests / input.blocks);
  for (let b = 0; b < input.blocks; b++) {
    for (const kind of rotated(b)) concurrent.push(await block(kind, perBlock));
  }

  const latencies = { handler: [] as number[], bare: [] as number[], floor: [] as number[] };
  const cpuMs = { handler: 0, bare: 0, floor: 0 };
  for (let i = 0; i < input.sequentialPairs; i++) {
    for (const kind of rotated(i)) {
      const cpu = process.cpuUsage();
      const latency = await timed(kind);
      const used = process.cpuUsage(cpu);
      latencies[kind].push(latency);
      cpuMs[kind] += (used.user + used.system) / 1000;
    }
  }

  const result: WarmResult = {
    concurrent,
    sequential: {
      handlerMs: latencies.handler,
      bareMs: latencies.bare,
      floorMs: latencies.floor,
      handlerCpuMs: cpuMs.handler,
      bareCpuMs: cpuMs.bare,
      floorCpuMs: cpuMs.floor,
    },
    failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
  writeFileSync(process.env[RESULT_FILE_VARIABLE] ?? '', JSON.stringify(result));
  process.exit(0);
}

void main();
