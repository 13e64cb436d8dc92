/**
 * What `npm start` (scripts/start-local.ts) demonstrates, kept apart from the processes it runs
 * so it can be checked without them: the demo tasks and what happens to them, the health
 * thresholds of the local stage, the calls printed when ready, and how delivered events read.
 */
import { healthDetailSchema, HEALTH_DETAIL_TYPES } from '../lib/health/health-events';
import { loadHealthPolicy } from '../lib/health/health-policy';
import { EVENT_SOURCE, statusChangeEventSchema } from '../lib/status/status-event';
import type { Fault } from '../test/simulator/huawei-dms-simulator';

export const PROJECT_ID = '0123456789abcdef0123456789abcdef';
export const INSTANCE_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
/** Holds the task watched by name: the poller asks for it on its own (ShowConnectorTask). */
export const OTHER_INSTANCE_ID = 'a1b2c3d4-0000-4000-8000-000000000002';

export interface DemoTask {
  readonly id: string;
  readonly name: string;
  /** Its status at Huawei when `npm start` begins. */
  readonly status: string;
  /** Its instance, when not INSTANCE_ID. */
  readonly instanceId?: string;
  /** What Huawei answers for this task (ShowConnectorTask) until a step heals it. */
  readonly fault?: Fault;
}

export const DEMO_TASKS: readonly DemoTask[] = [
  { id: '0d5e7c1a-0000-4000-8000-00000000000a', name: 'replicate-orders', status: 'RUNNING' },
  { id: '0d5e7c1a-0000-4000-8000-00000000000b', name: 'dump-clicks-to-obs', status: 'RUNNING' },
  { id: '0d5e7c1a-0000-4000-8000-00000000000c', name: 'mirror-audit-log', status: 'WAITING' },
  // Stays RESTARTING past the local STUCK_AFTER: "Smart Connect Task Stuck".
  { id: '0d5e7c1a-0000-4000-8000-00000000000d', name: 'rebalance-payments', status: 'RESTARTING' },
  // Watched by name, so read on its own; each read fails until healed: "Unobservable", then
  // "Observable Again". (Tasks of a watched instance are read from its list pages instead.)
  {
    id: '0d5e7c1a-0000-4000-8000-00000000000e',
    name: 'export-invoices',
    status: 'RUNNING',
    instanceId: OTHER_INSTANCE_ID,
    fault: { kind: 'status', status: 503 },
  },
];

export function instanceOf(task: DemoTask): string {
  return task.instanceId ?? INSTANCE_ID;
}

/** What the local stage polls: the demo instance whole, and the task of the other by name. */
export const DEMO_WATCHED_TASKS = [
  `${INSTANCE_ID}/*`,
  ...DEMO_TASKS.filter((task) => task.instanceId).map((task) => `${instanceOf(task)}/${task.id}`),
].join(',');

/** The task whose calls are printed when ready (single task, history). */
export const SHOWN_TASK = DEMO_TASKS[0]!;

export type DemoStep =
  | { readonly task: number; readonly status: string }
  | { readonly task: number; readonly heal: true };

/** What happens to the demo tasks, one step per STEP_MS after ready. */
export const DEMO_STEPS: readonly DemoStep[] = [
  { task: 2, status: 'RUNNING' },
  { task: 0, status: 'PAUSED' },
  { task: 4, heal: true },
  { task: 0, status: 'RUNNING' },
  // A restart shorter than STUCK_AFTER: status changes, no Stuck event.
  { task: 1, status: 'RESTARTING' },
  { task: 1, status: 'RUNNING' },
  { task: 3, status: 'RUNNING' },
];
export const STEP_MS = 45_000;

/**
 * The local stage's health thresholds, short so the demo shows them within minutes of a poll
 * every minute; STUCK_AFTER and UNOBSERVABLE_AFTER in the caller's environment replace them.
 */
export const DEMO_STUCK_AFTER = 'RESTARTING=2m,CREATING=30m';
export const DEMO_UNOBSERVABLE_AFTER = '2';

export interface HealthThresholds {
  readonly STUCK_AFTER: string;
  readonly UNOBSERVABLE_AFTER: string;
}

/** The thresholds to run with; a value the poller would refuse fails here, naming it. */
export function healthThresholds(
  env: Readonly<Record<string, string | undefined>>,
): HealthThresholds {
  const thresholds = {
    STUCK_AFTER: env.STUCK_AFTER ?? DEMO_STUCK_AFTER,
    UNOBSERVABLE_AFTER: env.UNOBSERVABLE_AFTER ?? DEMO_UNOBSERVABLE_AFTER,
  };
  loadHealthPolicy(thresholds);
  return thresholds;
}

export interface ReadyCall {
  readonly label: string;
  readonly url: string;
  /** GET when absent. */
  readonly method?: 'PUT' | 'DELETE';
}

/** The HTTP calls printed when ready, with the demo's real ids. */
export function readyCalls(httpBase: string): ReadyCall[] {
  const tasks = `${httpBase}/v2/${PROJECT_ID}/instances/${INSTANCE_ID}/connector/tasks`;
  const instanceWatch = `${httpBase}/watches/${PROJECT_ID}/instances/${INSTANCE_ID}`;
  const taskWatch = `${instanceWatch}/connector/tasks/${SHOWN_TASK.id}`;
  return [
    { label: 'one task', url: `${tasks}/${SHOWN_TASK.id}` },
    { label: 'every task of the instance', url: tasks },
    { label: `the task's last 5 status changes`, url: `${tasks}/${SHOWN_TASK.id}/history?limit=5` },
    // The watch list: WATCHED_TASKS already watches the demo instance, so these stored watches
    // overlap it (the poller deduplicates) and the demo's events stay the same.
    { label: 'every watch', url: `${httpBase}/watches` },
    { label: 'watch the whole instance', method: 'PUT', url: instanceWatch },
    { label: 'watch one task', method: 'PUT', url: taskWatch },
    { label: 'stop watching that task', method: 'DELETE', url: taskWatch },
  ];
}

/** A ready call as a command to paste; DELETE answers 204 with no body, so its code is shown. */
export function curlCommand(call: ReadyCall): string {
  if (call.method === 'DELETE') return `curl -s -w '%{http_code}\\n' -X DELETE '${call.url}'`;
  if (call.method) return `curl -s -X ${call.method} '${call.url}'`;
  return `curl -s '${call.url}'`;
}

/** What happened, in one line, for an event delivered from the bus; undefined for another source. */
export function describeEvent(body: unknown): string | undefined {
  const status = statusChangeEventSchema.safeParse(body);
  if (status.success) {
    const d = status.data.detail;
    return `[event] ${d.taskName ?? d.taskId}: ${d.previousStatus ?? '(first seen)'} -> ${d.status}  eventId=${d.eventId}`;
  }
  if (!isEvent(body) || body.source !== EVENT_SOURCE) return undefined;
  const detailType = String(body['detail-type']);
  const health = healthDetailSchema.safeParse(body.detail);
  if (!health.success || HEALTH_DETAIL_TYPES[health.data.condition] !== detailType) {
    return `[event] ${detailType}: ${JSON.stringify(body.detail)}`;
  }
  const d = health.data;
  const task = taskName(d.taskId);
  switch (d.condition) {
    case 'STUCK':
      return `[event] ${detailType}: ${task} has been ${d.status} since ${clock(d.statusSince)}, longer than ${duration(d.stuckAfterMs)} (STUCK_AFTER)  eventId=${d.eventId}`;
    case 'UNOBSERVABLE':
      return `[event] ${detailType}: ${task} could not be read by ${d.failedPolls} polls in a row since ${clock(d.since)} (last: ${d.lastErrorCode})  eventId=${d.eventId}`;
    case 'OBSERVABLE_AGAIN':
      return `[event] ${detailType}: ${task} was read again (unobservable since ${clock(d.unobservableSince)})  eventId=${d.eventId}`;
  }
}

function isEvent(
  body: unknown,
): body is { source: unknown; 'detail-type': unknown; detail: unknown } {
  return typeof body === 'object' && body !== null && 'detail-type' in body && 'source' in body;
}

function taskName(taskId: string): string {
  return DEMO_TASKS.find((task) => task.id === taskId)?.name ?? taskId;
}

/** An ISO instant as the time of day, UTC: the demo lasts minutes. */
function clock(iso: string): string {
  return `${iso.slice(11, 19)} UTC`;
}

/** 120000 -> "2m", 90000 -> "90s", 3600000 -> "1h". */
function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
