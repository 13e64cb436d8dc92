/**
 * Runs one fault-matrix row through one entry point, for real: a fresh harness (the real handler,
 * a cold container, real AWS SDK clients against moto, the signature-verifying Huawei simulator),
 * the row's fault arranged around it, one call, then the table's stream delivered. Returns what
 * was observed; the test compares it with the row.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { ContainerOverrides } from '../../lib/container';
import {
  TransportError,
  createHttpTransport,
  type HttpTransport,
  type TransportFailure,
} from '../../lib/huawei/http-transport';
import { drainEvents } from '../support/aws-resources';
import { FakeClock } from '../support/fake-clock';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, startHarness, type Harness } from '../support/harness';
import { ROTATED_CREDENTIALS } from '../support/test-credentials';
import {
  countedDynamoDb,
  countedSecretsManager,
  failingEndpoint,
  type CountedClient,
} from './failing-aws-endpoint';
import { MATRIX_SETTINGS, type Arrangement, type FaultRow } from './rows';

export type Entry = 'http' | 'invoke';

/** How one upstream attempt ended, as the real transport saw it. */
export type AttemptEnd = 'answered' | TransportFailure;

export interface RowRun {
  /** For the HTTP entry point: the answer. */
  readonly http?: {
    readonly status: number | undefined;
    readonly code: unknown;
    readonly retryAfter: string | undefined;
  };
  /** For the direct-invoke entry point: the thrown error's name, or undefined when it returned. */
  readonly invoke?: { readonly errorName: string | undefined };
  /** Requests the Huawei simulator received. */
  readonly huaweiRequests: number;
  /** How each upstream attempt ended, in order. */
  readonly attemptEnds: readonly AttemptEnd[];
  /** Every wait on the service clock (backoff, Retry-After) of 1 ms or more, in order. */
  readonly waitsMs: readonly number[];
  /** Requests the failing AWS client attempted (rows whose arrangement breaks an AWS endpoint). */
  readonly awsRequests: number | undefined;
  /** Real time the call took, from the handler's start to its answer or error. */
  readonly elapsedMs: number;
  readonly events: {
    /** PutEvents entries the stream consumer tried while the fault was in place. */
    readonly attempted: number;
    /** Whether the stream consumer handed records back to the stream (to be redelivered). */
    readonly handedBack: boolean;
    /** When handed back: events on the bus before the fault ends, and once it has ended. */
    readonly publishedWhileDown?: number;
    readonly publishedAfter?: number;
  };
}

/** Pacing at MATRIX_SETTINGS.maxRequestsPerSecond sleeps 0.1 ms: shorter sleeps are not waits. */
const MIN_WAIT_MS = 1;

const INVOKE_INPUT = { instanceId: INSTANCE_ID, taskId: TASK_ID };

const MATRIX_ENV = {
  UPSTREAM_ATTEMPT_TIMEOUT_MS: String(MATRIX_SETTINGS.attemptTimeoutMs),
  UPSTREAM_MAX_REQUESTS_PER_SECOND: String(MATRIX_SETTINGS.maxRequestsPerSecond),
};

/**
 * The service's clock: it starts at the real time (the simulator checks X-Sdk-Date against its
 * own, real clock), or off it by the arrangement's offset, and moves only when the service sleeps
 * on it, at once. So backoff and Retry-After cost no real time, and a deadline is reached only by
 * those waits: attempt counts do not depend on how loaded the machine is.
 */
function serviceClock(arrangement: Arrangement): FakeClock {
  const offsetMs = arrangement.kind === 'service-clock-offset' ? arrangement.offsetMs : 0;
  return new FakeClock(Date.now() + offsetMs);
}

/** The real transport, with a record of how each attempt ended. */
function observedTransport(): { transport: HttpTransport; ends: AttemptEnd[] } {
  const send = createHttpTransport();
  const ends: AttemptEnd[] = [];
  const transport: HttpTransport = async (request) => {
    try {
      const response = await send(request);
      ends.push('answered');
      return response;
    } catch (error) {
      if (error instanceof TransportError) ends.push(error.kind);
      throw error;
    }
  };
  return { transport, ends };
}

interface Arranged {
  readonly env?: Record<string, string>;
  readonly overrides?: ContainerOverrides;
  /** Runs once the harness is up, before the call. */
  readonly afterStart?: (harness: Harness) => Promise<void> | void;
  readonly counted?: CountedClient<unknown>;
  readonly cleanup?: () => Promise<void>;
}

async function arrange(arrangement: Arrangement): Promise<Arranged> {
  switch (arrangement.kind) {
    case 'secret-missing':
      return { env: { HUAWEICLOUD_SECRET_ID: 'huawei-aksk-that-does-not-exist' } };
    case 'secret-contents':
      return {
        afterStart: async ({ aws }) => {
          await aws.clients.secretsManager.send(
            new PutSecretValueCommand({
              SecretId: aws.secretId,
              SecretString: arrangement.secretString,
            }),
          );
        },
      };
    case 'aws-endpoint-fails': {
      const endpoint = await failingEndpoint(arrangement.failure);
      const cleanup = () => endpoint.close();
      if (arrangement.service === 'secretsManager') {
        const counted = countedSecretsManager(endpoint.url);
        return { overrides: { secretsManager: counted.client }, counted, cleanup };
      }
      const counted = countedDynamoDb(endpoint.url);
      return {
        overrides: { dynamoDb: counted.client, idempotencyDynamoDb: counted.idempotencyClient },
        counted,
        cleanup,
      };
    }
    case 'huawei-unknown-access-key':
      return { afterStart: ({ simulator }) => simulator.setCredentials([ROTATED_CREDENTIALS]) };
    case 'huawei-fault':
      return { afterStart: ({ simulator }) => simulator.setFault(arrangement.fault) };
    case 'huawei-deleted':
      return {
        afterStart: ({ simulator }) =>
          arrangement.what === 'task'
            ? simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID)
            : simulator.deleteInstance(PROJECT_ID, INSTANCE_ID),
      };
    case 'event-bridge-outage':
      return { afterStart: ({ eventBridge }) => eventBridge.outage(true) };
    case 'remaining-time':
    case 'service-clock-offset':
      return {};
  }
}

function remainingFor(row: FaultRow): number {
  if (row.arrangement.kind === 'remaining-time') return row.arrangement.remainingMs;
  return row.remainingMs ?? MATRIX_SETTINGS.remainingMs;
}

async function call(
  harness: Harness,
  entry: Entry,
  remainingMs: number,
): Promise<Pick<RowRun, 'http' | 'invoke'>> {
  if (entry === 'http') {
    const response = await harness.http(undefined, remainingMs);
    const retryAfter = response.headers?.['retry-after'];
    return {
      http: {
        status: response.statusCode,
        code: response.json.code,
        retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
      },
    };
  }
  try {
    await harness.invoke(INVOKE_INPUT, remainingMs);
    return { invoke: { errorName: undefined } };
  } catch (error) {
    return { invoke: { errorName: error instanceof Error ? error.name : String(error) } };
  }
}

/**
 * Delivers the table's stream to the real consumer, as Lambda's event source mapping would. When
 * the consumer hands records back, ends the EventBridge outage and delivers again.
 */
async function eventsAfter(harness: Harness): Promise<RowRun['events']> {
  const delivery = await harness.deliver();
  const attempted = harness.eventBridge.calls.flat().length;
  if (!delivery.blocked) return { attempted, handedBack: false };
  // Read straight from the bus's queue: the marker goes through moto, not the failing client.
  const publishedWhileDown = (await drainEvents(harness.aws.clients, harness.aws.sink)).length;
  harness.eventBridge.outage(false);
  const publishedAfter = (await harness.events()).length;
  return { attempted, handedBack: true, publishedWhileDown, publishedAfter };
}

/**
 * One call of `entry` with the row's fault in place. `remainingMs` replaces the row's remaining
 * time (to show that a deadline is what stopped it).
 */
export async function runRow(
  row: FaultRow,
  entry: Entry,
  options: { remainingMs?: number } = {},
): Promise<RowRun> {
  const clock = serviceClock(row.arrangement);
  const observed = observedTransport();
  const arranged = await arrange(row.arrangement);
  let harness: Harness | undefined;
  try {
    harness = await startHarness({
      env: { ...MATRIX_ENV, ...arranged.env },
      overrides: {
        clock,
        random: () => MATRIX_SETTINGS.jitter,
        transport: observed.transport,
        ...arranged.overrides,
      },
    });
    await arranged.afterStart?.(harness);
    const started = performance.now();
    const answer = await call(harness, entry, options.remainingMs ?? remainingFor(row));
    const elapsedMs = performance.now() - started;
    const huaweiRequests = harness.simulator.requests.length;
    const awsRequests = arranged.counted?.requests();
    return {
      ...answer,
      huaweiRequests,
      attemptEnds: [...observed.ends],
      waitsMs: clock.sleeps.filter((ms) => ms >= MIN_WAIT_MS),
      awsRequests,
      elapsedMs,
      events: await eventsAfter(harness),
    };
  } finally {
    await harness?.stop();
    await arranged.cleanup?.();
  }
}
