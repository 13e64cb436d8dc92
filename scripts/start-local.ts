/**
 * `npm start`: the whole service on this machine, no AWS account needed.
 *
 * moto_server stands in for AWS (Secrets Manager, DynamoDB, EventBridge, SQS), the Huawei DMS
 * simulator for Huawei Cloud (it verifies every signature), and serverless-offline runs the real
 * handlers from serverless.yml (stage `local`): the HTTP endpoint, the scheduled poller and the
 * status-stream consumer, which a pump (scripts/dynamodb-stream-pump.ts) feeds from moto's
 * DynamoDB stream as Lambda's event source mapping would. Demo tasks change status over time,
 * one stays in a transitional status (Stuck) and one cannot be read for a while (Unobservable,
 * then Observable Again); every event is printed as EventBridge delivers it (scripts/local-demo.ts).
 * Ctrl-C stops everything this script started.
 *
 * It listens on PORT (default 3000, the HTTP API) and PORT + 2 (serverless-offline's Lambda API),
 * on 127.0.0.1 only. A taken port, or anything but this service answering the readiness probe,
 * fails the start (exit 1) naming the port, with everything started so far stopped
 * (scripts/local-readiness.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
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
  createWatchesTable,
} from '../test/support/aws-resources';
import { startMoto, type RunningMoto } from '../test/support/moto';
import { DynamoDbStreamPump } from './dynamodb-stream-pump';
import {
  DEMO_STEPS,
  DEMO_TASKS,
  DEMO_WATCHED_TASKS,
  INSTANCE_ID,
  instanceOf,
  PROJECT_ID,
  SHOWN_TASK,
  STEP_MS,
  curlCommand,
  describeEvent,
  healthThresholds,
  readyCalls,
  type HealthThresholds,
} from './local-demo';
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
/** Demo credentials: they exist only in moto and the simulator on this machine. */
const DEMO_CREDENTIALS = {
  accessKeyId: 'LOCALDEMOAK000000000',
  secretAccessKey: 'local-demo-secret-key-000000000000000000',
};
/** How long the first poll's changes may take to reach the history table before Ready. */
const HISTORY_WAIT_MS = 30_000;
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
  const thresholds = healthThresholds(process.env);
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
  DEMO_TASKS.forEach((task, i) => {
    const body = i === 1 ? obsSinkTask() : exampleTask();
    simulator.putTask(PROJECT_ID, instanceOf(task), {
      ...body,
      id: task.id,
      task_name: task.name,
      status: task.status,
    });
    if (task.fault) simulator.setTaskFault(PROJECT_ID, instanceOf(task), task.id, task.fault);
  });
  log(`Huawei DMS simulator on ${simulator.url} (${DEMO_TASKS.length} demo tasks)`);

  const resources = await createAwsResources();
  const offlineExited = new AbortController();
  const offline = startOffline(
    { moto, simulator, ports, thresholds, failureQueueUrl: resources.failureQueueUrl },
    offlineExited,
  );
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
    consumer: (event) =>
      invokeOffline<DynamoDBBatchResponse>(
        lambdaEndpoint,
        `${SERVICE}-${STAGE}-statusStream`,
        event,
      ).then((response) => response ?? { batchItemFailures: [] }),
    region: LOCAL_REGION,
  });
  pump.start(STREAM_POLL_MS, (error) =>
    log(`(stream pump) ${error instanceof Error ? error.message : String(error)}`),
  );
  started.push(pump);

  // The first poll now rather than at the next full minute: the history call printed below has
  // something to answer, and the demo's clock starts here.
  log(`(poller) Polling ${DEMO_WATCHED_TASKS} once now, then every minute…`);
  await invokeOffline(lambdaEndpoint, `${SERVICE}-${STAGE}-scheduled`, {}).catch((error: unknown) =>
    log(`(poller) ${error instanceof Error ? error.message : String(error)}`),
  );
  const calls = readyCalls(`http://${LOCAL_HOST}:${ports.http.port}`);
  await waitForHistory(calls.find((call) => call.url.includes('/history'))!.url);
  if (stopping) return;

  log('');
  log('Ready. Call the endpoints (IAM auth is not enforced locally):');
  for (const call of calls) log(`  ${`${call.label}:`.padEnd(36)} ${curlCommand(call)}`);
  log('Invoke a function directly (AWS CLI v2; any credentials do, none leave this machine):');
  log(
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws lambda invoke --region ${LOCAL_REGION} ` +
      `--endpoint-url ${lambdaEndpoint} --function-name ${SERVICE}-${STAGE}-invoke ` +
      `--cli-binary-format raw-in-base64-out --payload '{"instanceId":"${INSTANCE_ID}","taskId":"${SHOWN_TASK.id}"}' response.json`,
  );
  log(describeDemo(thresholds));
  log('Events appear below as EventBridge delivers them. Ctrl-C stops everything.');
  log('');

  void runScript(simulator);
  await showEvents(resources.eventsQueueUrl);
}

/** What the demo will show, and when, in the thresholds it runs with. */
function describeDemo(thresholds: HealthThresholds): string {
  const stuck = DEMO_TASKS.find((task) => task.status === 'RESTARTING')!;
  const faulty = DEMO_TASKS.find((task) => task.fault)!;
  const healedAt = DEMO_STEPS.findIndex((step) => 'heal' in step) + 1;
  return [
    `The poller reads every task of ${INSTANCE_ID} (from its list pages) and ${faulty.name} of ` +
      `${instanceOf(faulty)} (watched by name) every minute. The demo:`,
    `  statuses change every ${STEP_MS / 1000} s (Smart Connect Task Status Changed);`,
    `  ${stuck.name} stays RESTARTING: reported stuck past STUCK_AFTER=${thresholds.STUCK_AFTER};`,
    `  Huawei fails every read of ${faulty.name} for ${(healedAt * STEP_MS) / 1000} s: reported ` +
      `unobservable after UNOBSERVABLE_AFTER=${thresholds.UNOBSERVABLE_AFTER} failed polls, then observable again.`,
  ].join('\n');
}

/** Until the history route answers the first poll's transitions (bounded: Ready regardless). */
async function waitForHistory(url: string): Promise<void> {
  const until = Date.now() + HISTORY_WAIT_MS;
  while (!stopping && Date.now() < until) {
    const transitions = await fetch(url)
      .then(async (response) =>
        response.ok ? ((await response.json()) as { transitions?: unknown[] }).transitions : [],
      )
      .catch(() => []);
    if (transitions && transitions.length > 0) return;
    await delay(500);
  }
  if (!stopping) log('(the history has no transition yet: it fills as polls record changes)');
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
  // Read by the watch routes and by every scheduled poll (beside WATCHED_TASKS).
  await createWatchesTable(clients, `${SERVICE}-${STAGE}-watches`);
  const failureQueueUrl = await createQueue(clients, `${SERVICE}-${STAGE}-stream-failures`);
  const sink = await createEventSink(clients, {
    busName: `${SERVICE}-${STAGE}`,
    queueName: `${SERVICE}-${STAGE}-events`,
    ruleName: 'show-status-changes',
  });
  // The same event, delivered whole. moto builds a JSONPath parser per path of the default input
  // (eight per event, about a second on a busy machine), which outlasts the statusStream
  // function's 2 s bound on PutEvents: the stream would redeliver the same events forever. One
  // path keeps delivery well inside it.
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: sink.queueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.eventBridge.send(
    new PutTargetsCommand({
      Rule: 'show-status-changes',
      EventBusName: sink.busName,
      Targets: [
        {
          Id: 'queue',
          Arn: Attributes!.QueueArn!,
          InputTransformer: {
            InputPathsMap: { source: '$.source' },
            InputTemplate: '<aws.events.event.json>',
          },
        },
      ],
    }),
  );
  return { eventsQueueUrl: sink.queueUrl, streamArn, failureQueueUrl };
}

/**
 * Invokes a function through serverless-offline's Lambda API (what `aws lambda invoke` would
 * call); a function error becomes a rejection, so the pump does not move past the records.
 */
async function invokeOffline<T extends object>(
  endpoint: string,
  functionName: string,
  event: DynamoDBStreamEvent | Record<string, never>,
): Promise<T | null> {
  const response = await fetch(`${endpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: 'POST',
    body: JSON.stringify(event),
  });
  const body = (await response.json()) as (T & { errorType?: string; trace?: string[] }) | null;
  if (!response.ok || response.headers.get('x-amz-function-error') || body?.errorType) {
    // serverless-offline answers every thrown error with errorType "Error"; the error's name
    // and message are the first line of `trace` (README, "Invoking functions locally").
    throw new Error(
      `${functionName} failed: ${body?.trace?.[0] ?? body?.errorType ?? response.status}`,
    );
  }
  return body;
}

function startOffline(
  run: {
    moto: RunningMoto;
    simulator: HuaweiDmsSimulator;
    ports: LocalPorts;
    thresholds: HealthThresholds;
    failureQueueUrl: string;
  },
  exited: AbortController,
): ChildProcess {
  const { moto, simulator, ports, thresholds, failureQueueUrl } = run;
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
        WATCHED_TASKS: DEMO_WATCHED_TASKS,
        POLL_ENABLED: 'true',
        POLL_FANOUT_QUEUE_URL: `${moto.endpoint}/000000000000/poll-batches`,
        STREAM_FAILURE_QUEUE_URL: failureQueueUrl,
        ...thresholds,
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

/** Powertools' notice when a function (taskHistory) published no metric: noise here. */
const EMPTY_METRICS_WARNING = 'No application metrics to publish';

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
  if (!line.trim() || line.startsWith('{"_aws"') || line.startsWith(EMPTY_METRICS_WARNING)) {
    return undefined;
  }
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
  for (const step of DEMO_STEPS) {
    await delay(STEP_MS);
    if (stopping) return;
    const task = DEMO_TASKS[step.task]!;
    if ('heal' in step) {
      simulator.setTaskFault(PROJECT_ID, instanceOf(task), task.id, undefined);
      log(`(simulator) Huawei answers for ${task.name} again; the next poll will notice.`);
    } else {
      simulator.setTaskStatus(PROJECT_ID, instanceOf(task), task.id, step.status);
      log(`(simulator) ${task.name} is now ${step.status} at Huawei; the next poll will notice.`);
    }
  }
}

async function showEvents(queueUrl: string): Promise<void> {
  const { sqs } = awsClients();
  // A redelivered stream batch publishes its events again: consumers deduplicate on eventId.
  const shown = new Set<string>();
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
      const body = parseJson(message.Body);
      const eventId = eventIdOf(body);
      if (eventId !== undefined && shown.has(eventId)) continue;
      if (eventId !== undefined) shown.add(eventId);
      const line = describeEvent(body);
      if (line) log(line);
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
}

function eventIdOf(body: unknown): string | undefined {
  const detail = (body as { detail?: { eventId?: unknown } } | undefined)?.detail;
  return typeof detail?.eventId === 'string' ? detail.eventId : undefined;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? 'null');
  } catch {
    return undefined;
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
  // Ctrl-C while starting: what failed is only the stopping itself.
  if (stopping) return;
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  void shutdown(1);
});
