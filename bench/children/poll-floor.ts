/**
 * The poll floor: the requests one measured poll made (its list pages from the simulator's log,
 * its AWS calls from the counting proxy's), sent again in one process at the poll's concurrency,
 * each signed (lib/huawei/signer.ts, lib/aws/sigv4.ts), sent over a keep-alive node:http agent and
 * its JSON answer parsed, and nothing else. Its CPU is what those calls cost by themselves; what
 * the poll spends beyond it is its own work per task.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { signSigV4 } from '../../lib/aws/sigv4';
import { signRequest } from '../../lib/huawei/signer';
import {
  INPUT_VARIABLE,
  RESULT_FILE_VARIABLE,
  type PollFloorInput,
  type PollFloorResult,
} from './protocol';

const { inputFile } = JSON.parse(process.env[INPUT_VARIABLE] ?? '') as { inputFile: string };
const input = JSON.parse(readFileSync(inputFile, 'utf8')) as PollFloorInput;
const upstream = new URL(input.upstreamUrl);
const aws = new URL(input.awsUrl);
const agent = new Agent({ keepAlive: true, maxSockets: 64, scheduling: 'lifo' });
/** Each AWS service signs under its own name; these are the JSON-protocol prefixes a poll uses. */
const SERVICES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'dynamodb',
  secretsmanager: 'secretsmanager',
};

let failures = 0;
let firstFailure: string | undefined;

function send(
  url: URL,
  path: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          try {
            JSON.parse(Buffer.concat(chunks).toString('utf8'));
            resolve(res.statusCode);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function upstreamCall(call: PollFloorInput['upstream'][number]): Promise<number | undefined> {
  const headers = signRequest(
    {
      method: 'GET',
      // The signer encodes the path and query itself: give it them decoded.
      path: decodeURI(call.path),
      query: Object.fromEntries(new URLSearchParams(call.query)),
      headers: {
        host: upstream.host,
        'content-type': 'application/json',
        'x-project-id': input.projectId,
      },
    },
    input.credentials,
    new Date(),
  );
  return send(upstream, call.query ? `${call.path}?${call.query}` : call.path, 'GET', headers);
}

function awsCall(call: PollFloorInput['aws'][number]): Promise<number | undefined> {
  const service = SERVICES[call.target.split('.')[0] ?? ''] ?? 'unknown';
  const headers = signSigV4(
    {
      method: 'POST',
      path: '/',
      headers: { host: aws.host, 'content-type': call.contentType, 'x-amz-target': call.target },
      body: call.body,
    },
    input.awsCredentials,
    { region: input.region, service },
    new Date(),
  );
  headers['content-length'] = String(Buffer.byteLength(call.body));
  return send(aws, '/', 'POST', headers, call.body);
}

async function main(): Promise<void> {
  const jobs: (() => Promise<number | undefined>)[] = [
    ...input.upstream.map((call) => async () => {
      const status = await upstreamCall(call);
      if (status !== 200) throw new Error(`upstream answered ${status}`);
      return status;
    }),
    ...input.aws.map((call) => () => awsCall(call)),
  ];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < jobs.length; i = next++) {
      try {
        await jobs[i]!();
      } catch (error) {
        failures += 1;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const result: PollFloorResult = {
    cpuMs: (used.user + used.system) / 1000,
    wallMs,
    upstreamRequests: input.upstream.length,
    awsRequests: input.aws.length,
    failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
  writeFileSync(process.env[RESULT_FILE_VARIABLE] ?? '', JSON.stringify(result));
  process.exit(0);
}

void main();
