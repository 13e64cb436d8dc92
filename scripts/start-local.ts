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
 *
 * It listens on PORT (default 3000, the HTTP API) and PORT + 2 (serverless-offline's Lambda API),
 * on 127.0.0.1 only. A taken port, or anything but this service answering the readiness probe,
 * fails the start (exit 1) naming the port, with everything started so far stopped
 * (scripts/local-readiness.ts).
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
  createHistoryTable,
  createQueue,
  createSecret,
  createStatusTable,
} from '../test/support/aws-resources';
import { startMoto, type RunningMoto } from '../test/support/moto';
import { DynamoDbStreamPump } from './dynamodb-stream-pump';
import {
  LOCAL_HOST,
  busyPorts,
  localPorts,
  portInUseFromOutput,
  portInUseMessage,
  waitUntilServing,
  type LocalPorts,
} from './local-readiness';

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
/** Whether the service answered the readiness probe (until then main() reports failures). */
let ready = false;

function log(message: string): void {
  process.stdout.write(`${message}\n`);
}

async function main(): Promise<void> {
  // Before anything is started: a taken port fails here, with nothing to stop.
  const ports = localPorts(process.env);
  const busy = await busyPorts(ports);
  if (busy[0]) throw new Error(portInUseMessage(busy[0], ports));

  // Only the emulator, whatever the shell holds: per-service endpoints, a profile or a session
  // token would otherwise win over what is set below (and reach serverless-offline's handlers).
  for (const name of Object.keys(process.env)) {
    if (name.startsWith('AWS_ENDPOINT_URL_')) delete process.env[name];
  }
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

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
  const offlineExited = new AbortController();
  const offline = startOffline(moto, simulator, ports, resources.failureQueueUrl, offlineExited);
  started.push({ stop: () => stopProcess(offline) });
  // Ready means our own route gave our own answer, not that something listens on the port.
  await waitUntilServing({
    ports,
    route: { projectId: PROJECT_ID, instanceId: INSTANCE_ID },
    timeoutMs: 120_000,
    signal: offlineExited.signal,
  });
  ready = true;
  const lambdaEndpoint = `http://${LOCAL_HOST}:${ports.lambda.port}`;
  const pump = new DynamoDbStreamPump({
    client: awsClients().streams,
    streamArn: resources.streamArn,
    consumer: (event) => invokeOffline(lambdaEndpoint, `${SERVICE}-${STAGE}-statusStream`, event),
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
    `  curl -s http://${LOCAL_HOST}:${ports.http.port}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks/${task.id}`,
  );
  log('Invoke a function directly (AWS CLI v2; any credentials do, none leave this machine):');
  log(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws lambda invoke --region ${LOCAL_REGION} ` +
      `--endpoint-url ${lambdaEndpoint} --function-name ${SERVICE}-${STAGE}-invoke ` +
      `--cli-binary-format raw-in-base64-out --payload '{"instanceId":"${INSTANCE_ID}","taskId":"${task.id}"}' response.json`,
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
  await createHistoryTable(clients, `${SERVICE}-${STAGE}-status-history`);
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
  endpoint: string,
  functionName: string,
  event: DynamoDBStreamEvent,
): Promise<DynamoDBBatchResponse> {
  const response = await fetch(`${endpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  const body = (await response.json()) as
    (DynamoDBBatchResponse & { errorType?: string; trace?: string[] }) | null;
  if (!response.ok || response.headers.get('x-amz-function-error') || body?.errorType) {
    // serverless-offline answers every thrown error with errorType "Error"; the error's name
    // and message are the first line of `trace` (README, "Invoking functions locally").
    throw new Error(
      `${functionName} failed: ${body?.trace?.[0] ?? body?.errorType ?? response.status}`,
    );
  }
  return body ?? { batchItemFailures: [] };
}

function startOffline(
  moto: RunningMoto,
  simulator: HuaweiDmsSimulator,
  ports: LocalPorts,
  failureQueueUrl: string,
  exited: AbortController,
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
      // Loopback only, and one address: `localhost` may resolve to ::1, where another program
      // can hold the same port number without conflict, and the probe would not reach us.
      '--host',
      LOCAL_HOST,
      '--httpPort',
      String(ports.http.port),
      '--lambdaPort',
      String(ports.lambda.port),
    ],
    {
      // Every variable serverless.yml's local stage reads is set here, so nothing in the
      // caller's shell (a real secret id, a queue URL) changes what the demo runs against.
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: moto.endpoint,
        HUAWEICLOUD_SECRET_ID: `${SERVICE}-${STAGE}`,
        HUAWEICLOUD_REGION: 'cn-north-4',
        HUAWEICLOUD_ENDPOINT: simulator.url,
        HUAWEICLOUD_PROJECT_ID: PROJECT_ID,
        WATCHED_TASKS: `${INSTANCE_ID}/*`,
        POLL_ENABLED: 'true',
        POLL_FANOUT_QUEUE_URL: `${moto.endpoint}/000000000000/poll-batches`,
        STREAM_FAILURE_QUEUE_URL: failureQueueUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let output = '';
  const relay = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    for (const line of chunk.toString().split('\n')) {
      const shown = readable(line);
      if (shown) log(`  [offline] ${shown}`);
    }
  };
  child.stdout?.on('data', relay);
  child.stderr?.on('data', relay);
  child.on('exit', (code) => {
    if (stopping) return;
    const busy = portInUseFromOutput(output, ports);
    const why = busy
      ? portInUseMessage(busy, ports)
      : `serverless-offline exited (${code ?? 'signal'}).`;
    if (!ready) {
      // main() is still waiting for it: it reports this and stops everything.
      exited.abort(new Error(why));
      return;
    }
    log(`${why} Stopping.`);
    void shutdown(1);
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

let stopped: Promise<never> | undefined;

/** Stops what was started, newest first, once however often it is called; then exits. */
function shutdown(code: number): Promise<never> {
  stopped ??= (async () => {
    stopping = true;
    if (started.length > 0) log('Stopping serverless-offline, the simulator and moto_server…');
    for (const item of started.reverse()) {
      await Promise.resolve(item.stop()).catch(() => undefined);
    }
    if (started.length > 0) log('Stopped.');
    process.exit(code);
  })();
  return stopped;
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((error: unknown) => {
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  void shutdown(1);
});
