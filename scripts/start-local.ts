/**
 * `npm start`: the whole service on this machine, no AWS account needed.
 *
 * moto_server stands in for AWS (Secrets Manager, DynamoDB, EventBridge, SQS), the Huawei DMS
 * simulator for Huawei Cloud (it verifies every signature), and serverless-offline runs the real
 * handlers from serverless.yml (stage `local`): the HTTP endpoint, the scheduled poller and the
 * status-stream consumer, which a pump (scripts/dynamodb-stream-pump.ts) feeds from moto's
 * DynamoDB stream as Lambda's event source mapping would. Demo tasks change status over time;
 * each status-change event is printed as EventBridge delivers it. Ctrl-C stops everything this
 * script started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { statusChangeEventSchema } from '../lib/status/status-event';
import {
  HuaweiDmsSimulator,
  exampleTask,
  obsSinkTask,
} from '../test/simulator/huawei-dms-simulator';
import {
  awsClients,
  createEventSink,
  createQueue,
  createSecret,
  createStatusTable,
} from '../test/support/aws-resources';
import { startMoto, type RunningMoto } from '../test/support/moto';
import { DynamoDbStreamPump } from './dynamodb-stream-pump';

const SERVICE = 'huawei-dms-connector-status';
const STAGE = 'local';
const LOCAL_REGION = 'eu-west-1';
const PROJECT_ID = '0123456789abcdef0123456789abcdef';
const INSTANCE_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
/** Demo credentials: they exist only in moto and the simulator on this machine. */
const DEMO_CREDENTIALS = {
  accessKeyId: 'LOCALDEMOAK000000000',
  secretAccessKey: 'local-demo-secret-key-000000000000000000',
};
const DEMO_TASKS = [
  { id: '0d5e7c1a-0000-4000-8000-00000000000a', name: 'replicate-orders', status: 'RUNNING' },
  { id: '0d5e7c1a-0000-4000-8000-00000000000b', name: 'dump-clicks-to-obs', status: 'RUNNING' },
  { id: '0d5e7c1a-0000-4000-8000-00000000000c', name: 'mirror-audit-log', status: 'WAITING' },
];
/** What happens to the demo tasks, one step per STEP_MS: enough to see events within minutes. */
const SCRIPT: readonly (readonly [taskIndex: number, status: string])[] = [
  [2, 'RUNNING'],
  [0, 'PAUSED'],
  [0, 'RUNNING'],
  [1, 'RESTARTING'],
  [1, 'RUNNING'],
];
const STEP_MS = 45_000;
/** How often the pump looks for new stream records (Lambda polls a shard about 4 times a second). */
const STREAM_POLL_MS = 1_000;

const started: { stop(): Promise<void> | void }[] = [];
// Node 20 is fine for a local run (Lambda runs nodejs22.x); the SDK's notice would only be noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
let stopping = false;

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  const moto: RunningMoto = await startMoto();
  started.push(moto);
  log(`moto_server (AWS emulator) on ${moto.endpoint}`);
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  // The provider region of serverless.yml: serverless-offline hands it to the handlers.
  process.env.AWS_REGION = LOCAL_REGION;
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';

  const simulator = await HuaweiDmsSimulator.start({ credentials: [DEMO_CREDENTIALS] });
  started.push(simulator);
  simulator.putInstance(PROJECT_ID, INSTANCE_ID);
  DEMO_TASKS.forEach((task, i) => {
    const body = i === 1 ? obsSinkTask() : exampleTask();
    simulator.putTask(PROJECT_ID, INSTANCE_ID, {
      ...body,
      id: task.id,
      task_name: task.name,
      status: task.status,
    });
  });
  log(`Huawei DMS simulator on ${simulator.url} (${DEMO_TASKS.length} demo tasks)`);

  const resources = await createAwsResources();
  const httpPort = Number(process.env.PORT ?? 3000);
  const lambdaPort = httpPort + 2;
  const offline = startOffline(moto, simulator, httpPort, resources.failureQueueUrl);
  started.push({ stop: () => stopProcess(offline) });
  await waitForHttp(httpPort, offline);
  const pump = new DynamoDbStreamPump({
    client: awsClients().streams,
    streamArn: resources.streamArn,
    consumer: (event) => invokeOffline(lambdaPort, `${SERVICE}-${STAGE}-statusStream`, event),
    region: LOCAL_REGION,
  });
  pump.start(STREAM_POLL_MS, (error) =>
    log(`(stream pump) ${error instanceof Error ? error.message : String(error)}`),
  );
  started.push(pump);

  const task = DEMO_TASKS[0]!;
  log('');
  log('Ready. Call the endpoint (IAM auth is not enforced locally):');
  log(
    `  curl -s http://localhost:${httpPort}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks/${task.id}`,
  );
  log(
    `The poller watches ${INSTANCE_ID}/* every minute; demo statuses change every ${STEP_MS / 1000} s.`,
  );
  log('Status-change events appear below as EventBridge delivers them. Ctrl-C stops everything.');
  log('');

  void runScript(simulator);
  await showEvents(resources.eventsQueueUrl);
}

/** What serverless.yml's local stage expects to find: the names are the template's own. */
async function createAwsResources(): Promise<{
  eventsQueueUrl: string;
  streamArn: string;
  failureQueueUrl: string;
}> {
  const clients = awsClients();
  await createSecret(clients, DEMO_CREDENTIALS, `${SERVICE}-${STAGE}`);
  const { streamArn } = await createStatusTable(clients, `${SERVICE}-${STAGE}-status`);
  const failureQueueUrl = await createQueue(clients, `${SERVICE}-${STAGE}-stream-failures`);
  const sink = await createEventSink(clients, {
    busName: `${SERVICE}-${STAGE}`,
    queueName: `${SERVICE}-${STAGE}-events`,
    ruleName: 'show-status-changes',
  });
  return { eventsQueueUrl: sink.queueUrl, streamArn, failureQueueUrl };
}

/**
 * Invokes a function through serverless-offline's Lambda API (what `aws lambda invoke` would
 * call); a function error becomes a rejection, so the pump does not move past the records.
 */
async function invokeOffline(
  port: number,
  functionName: string,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  const response = await fetch(
    `http://127.0.0.1:${port}/2015-03-31/functions/${functionName}/invocations`,
    { method: 'POST', body: JSON.stringify(event) },
  );
  const body = (await response.json()) as (DynamoDBBatchResponse & { errorType?: string }) | null;
  if (!response.ok || response.headers.get('x-amz-function-error') || body?.errorType) {
    throw new Error(`${functionName} failed: ${body?.errorType ?? response.status}`);
  }
  return body ?? { batchItemFailures: [] };
}

function startOffline(
  moto: RunningMoto,
  simulator: HuaweiDmsSimulator,
  httpPort: number,
  failureQueueUrl: string,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      'node_modules/serverless/bin/serverless.js',
      'offline',
      'start',
      '--stage',
      STAGE,
      '--region',
      LOCAL_REGION,
      '--httpPort',
      String(httpPort),
      '--lambdaPort',
      String(httpPort + 2),
    ],
    {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: moto.endpoint,
        HUAWEICLOUD_ENDPOINT: simulator.url,
        HUAWEICLOUD_PROJECT_ID: PROJECT_ID,
        WATCHED_TASKS: `${INSTANCE_ID}/*`,
        STREAM_FAILURE_QUEUE_URL: failureQueueUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  const relay = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      const shown = readable(line);
      if (shown) log(`  [offline] ${shown}`);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  child.on('exit', (code) => {
    if (!stopping) {
      log(`serverless-offline exited (${code ?? 'signal'}); stopping.`);
      void shutdown(1);
    }
  });
  return child;
}

const HIDDEN_LOG_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'sampling_rate',
  'xray_trace_id',
]);

/** Structured log lines become one short line; metric (EMF) lines are for CloudWatch, not people. */
function readable(line: string): string | undefined {
  if (!line.trim() || line.startsWith('{"_aws"')) return undefined;
  if (!line.startsWith('{')) return line;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const fields = Object.entries(entry)
      .filter(([key]) => !HIDDEN_LOG_KEYS.has(key) && !key.startsWith('function_'))
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
    return `${String(entry.level)} ${String(entry.message)} ${fields.join(' ')}`;
  } catch {
    return line;
  }
}

async function waitForHttp(port: number, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    if (child.exitCode !== null) throw new Error('serverless-offline did not start');
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await delay(500);
    }
  }
  throw new Error(`serverless-offline did not listen on port ${port} within 2 minutes`);
}

async function runScript(simulator: HuaweiDmsSimulator): Promise<void> {
  for (const [index, status] of SCRIPT) {
    await delay(STEP_MS);
    if (stopping) return;
    const task = DEMO_TASKS[index]!;
    simulator.setTaskStatus(PROJECT_ID, INSTANCE_ID, task.id, status);
    log(`(simulator) ${task.name} is now ${status} at Huawei; the next poll will notice.`);
  }
}

async function showEvents(queueUrl: string): Promise<void> {
  const { sqs } = awsClients();
  while (!stopping) {
    const { Messages = [] } = await sqs
      .send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 2,
        }),
      )
      .catch(() => ({ Messages: [] }));
    if (Messages.length === 0) continue;
    for (const message of Messages) {
      const event = statusChangeEventSchema.safeParse(JSON.parse(message.Body ?? 'null'));
      if (!event.success) continue;
      const d = event.data.detail;
      log(
        `[event] ${d.taskName ?? d.taskId}: ${d.previousStatus ?? '(first seen)'} -> ${d.status}  eventId=${d.eventId}`,
      );
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.pid === undefined) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      // The whole process group: serverless-offline runs handlers in child processes.
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) log('Stopping serverless-offline, the simulator and moto_server…');
  stopping = true;
  for (const item of started.reverse()) await Promise.resolve(item.stop()).catch(() => undefined);
  log('Stopped.');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((error: unknown) => {
  log(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1);
});
