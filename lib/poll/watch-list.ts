import { z } from 'zod';
import { loadHealthPolicy } from '../health/health-policy';
import type { HealthPolicy } from '../health/task-health';
import { describeIssues, type Environment } from '../config';
import { ConfigurationError } from '../errors';
import { instanceRefSchema, taskKey, taskRefSchema, type TaskRef } from '../task-ref';

/** One entry of WATCHED_TASKS: a task, or a whole instance whose tasks are discovered. */
export type WatchEntry =
  | { readonly kind: 'task'; readonly ref: TaskRef }
  | { readonly kind: 'instance'; readonly projectId: string; readonly instanceId: string };

export const WATCH_LIST_FORMAT =
  'entries separated by commas or whitespace, each "[projectId/]instanceId/taskId" or "[projectId/]instanceId/*"';

/**
 * Parses WATCHED_TASKS. The project may be left out when the deployment serves exactly one.
 * Every entry must name a served project, and there must be one. Duplicates are dropped, order
 * kept.
 */
export function parseWatchList(
  value: string,
  served: { projectIds: ReadonlySet<string>; defaultProjectId: string | undefined },
): WatchEntry[] {
  const entries = new Map<string, WatchEntry>();
  const tokens = value.split(/[\s,]+/).filter((token) => token.length > 0);
  if (tokens.length === 0) {
    // Polling nothing would "complete" every run and keep the poller-stopped alarm quiet.
    throw new ConfigurationError(
      `WATCHED_TASKS lists no entry: it must hold ${WATCH_LIST_FORMAT}.`,
    );
  }
  tokens.forEach((token, index) => {
    const where = `WATCHED_TASKS entry ${index + 1} ("${token.slice(0, 120)}")`;
    const parts = token.split('/');
    if (parts.length < 2 || parts.length > 3) {
      throw new ConfigurationError(`${where} must be ${WATCH_LIST_FORMAT}.`);
    }
    const [projectId, instanceId, taskId] =
      parts.length === 3 ? parts : [served.defaultProjectId, parts[0], parts[1]];
    if (projectId === undefined) {
      throw new ConfigurationError(
        `${where} must name its project: this deployment serves several projects.`,
      );
    }
    const entry = parseEntry(projectId, instanceId, taskId, where);
    if (!served.projectIds.has(entry.kind === 'task' ? entry.ref.projectId : entry.projectId)) {
      throw new ConfigurationError(`${where} names a project not in HUAWEICLOUD_PROJECT_ID.`);
    }
    entries.set(
      entry.kind === 'task' ? taskKey(entry.ref) : `${entry.projectId}/${entry.instanceId}/*`,
      entry,
    );
  });
  return [...entries.values()];
}

const pollEnvironmentSchema = z.object({
  WATCHED_TASKS: z.string().trim().min(1, `is required: ${WATCH_LIST_FORMAT}`),
  POLL_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Set to fan a large watch list out to worker invocations through this SQS queue. */
  POLL_FANOUT_QUEUE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Tasks per worker message; a watch list at most this long is polled inline. */
  POLL_FANOUT_BATCH_SIZE: z.coerce.number().int().min(1).max(2_000).default(500),
});

export interface PollConfig {
  readonly watchList: readonly WatchEntry[];
  readonly concurrency: number;
  readonly health: HealthPolicy;
  readonly fanOut: { readonly queueUrl: string; readonly batchSize: number } | undefined;
}

export function loadPollConfig(
  env: Environment,
  served: { projectIds: ReadonlySet<string>; defaultProjectId: string | undefined },
): PollConfig {
  const parsed = pollEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid configuration: ${describeIssues(parsed.error.issues)}`);
  }
  return {
    watchList: parseWatchList(parsed.data.WATCHED_TASKS, served),
    concurrency: parsed.data.POLL_CONCURRENCY,
    health: loadHealthPolicy(env),
    fanOut: parsed.data.POLL_FANOUT_QUEUE_URL
      ? {
          queueUrl: parsed.data.POLL_FANOUT_QUEUE_URL,
          batchSize: parsed.data.POLL_FANOUT_BATCH_SIZE,
        }
      : undefined,
  };
}

function parseEntry(
  projectId: string,
  instanceId: string | undefined,
  taskId: string | undefined,
  where: string,
): WatchEntry {
  if (taskId === '*') {
    const parsed = instanceRefSchema.safeParse({ projectId, instanceId });
    if (parsed.success) return { kind: 'instance', ...parsed.data };
    throw new ConfigurationError(`${where}: ${describeIssues(parsed.error.issues)}.`);
  }
  const parsed = taskRefSchema.safeParse({ projectId, instanceId, taskId });
  if (parsed.success) return { kind: 'task', ref: parsed.data };
  throw new ConfigurationError(`${where}: ${describeIssues(parsed.error.issues)}.`);
}

/** The worker only needs to know how hard it may push. */
export function loadPollWorkerConfig(env: Environment): {
  concurrency: number;
  health: HealthPolicy;
} {
  const parsed = pollEnvironmentSchema.pick({ POLL_CONCURRENCY: true }).safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid configuration: ${describeIssues(parsed.error.issues)}`);
  }
  return { concurrency: parsed.data.POLL_CONCURRENCY, health: loadHealthPolicy(env) };
}
