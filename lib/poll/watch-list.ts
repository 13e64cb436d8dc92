import * as z from 'zod/mini';
import { loadHealthPolicy } from '../health/health-policy';
import type { HealthPolicy } from '../health/task-health';
import { describeIssues, parseEnvironment, type Environment } from '../config';
import { ConfigurationError } from '../errors';
import { instanceRefSchema, taskKey, taskRefSchema, type TaskRef } from '../task-ref';

/**
 * One watch: a task, a whole instance whose tasks are discovered, or a whole project whose
 * instances are discovered (stored watches only; WATCHED_TASKS names tasks and instances).
 */
export type WatchEntry =
  | { readonly kind: 'task'; readonly ref: TaskRef }
  | { readonly kind: 'instance'; readonly projectId: string; readonly instanceId: string }
  | { readonly kind: 'project'; readonly projectId: string };

/** One key per entry, the same for WATCHED_TASKS and stored watches, so the union dedupes. */
export function watchKey(entry: WatchEntry): string {
  if (entry.kind === 'task') return taskKey(entry.ref);
  if (entry.kind === 'instance') return `${entry.projectId}/${entry.instanceId}/*`;
  return `${entry.projectId}/*`;
}

export const WATCH_LIST_FORMAT =
  'entries separated by commas or whitespace, each "[projectId/]instanceId/taskId" or "[projectId/]instanceId/*"';

/**
 * Parses WATCHED_TASKS. The project may be left out when the deployment serves exactly one.
 * Every entry must name a served project. An empty value is no entry (the stored watches are the
 * whole list); separators with no entry (",,,") are a malformed list. Duplicates are dropped,
 * order kept.
 */
export function parseWatchList(
  value: string,
  served: { projectIds: ReadonlySet<string>; defaultProjectId: string | undefined },
): WatchEntry[] {
  const entries = new Map<string, WatchEntry>();
  if (value.trim() === '') return [];
  const tokens = value.split(/[\s,]+/).filter((token) => token.length > 0);
  if (tokens.length === 0) {
    // Someone meant to list entries and wrote none: likely a broken template, not "none".
    throw new ConfigurationError(
      `WATCHED_TASKS lists no entry: it must be empty or hold ${WATCH_LIST_FORMAT}.`,
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
    entries.set(watchKey(entry), entry);
  });
  return [...entries.values()];
}

const pollEnvironmentSchema = z.object({
  /** Optional: the stored watches (WATCHES_TABLE_NAME) may be the whole watch list. */
  WATCHED_TASKS: z._default(z.string(), ''),
  WATCHES_TABLE_NAME: z
    .string('is required (DynamoDB table name)')
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
  POLL_CONCURRENCY: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(256)), 16),
  /** Set to fan a large watch list out to worker invocations through this SQS queue. */
  POLL_FANOUT_QUEUE_URL: z.optional(z.url({ protocol: /^https?$/ })),
  /** Tasks per worker message; a watch list at most this long is polled inline. */
  POLL_FANOUT_BATCH_SIZE: z._default(
    z.coerce.number().check(z.int(), z.minimum(1), z.maximum(2_000)),
    500,
  ),
});

export interface PollConfig {
  /** WATCHED_TASKS, fixed for the deployment; the stored watches are read at each poll. */
  readonly watchList: readonly WatchEntry[];
  readonly watchesTableName: string;
  readonly concurrency: number;
  readonly health: HealthPolicy;
  readonly fanOut: { readonly queueUrl: string; readonly batchSize: number } | undefined;
}

export function loadPollConfig(
  env: Environment,
  served: { projectIds: ReadonlySet<string>; defaultProjectId: string | undefined },
): PollConfig {
  const settings = parseEnvironment(pollEnvironmentSchema, env);
  return {
    watchList: parseWatchList(settings.WATCHED_TASKS, served),
    watchesTableName: settings.WATCHES_TABLE_NAME,
    concurrency: settings.POLL_CONCURRENCY,
    health: loadHealthPolicy(env),
    fanOut: settings.POLL_FANOUT_QUEUE_URL
      ? {
          queueUrl: settings.POLL_FANOUT_QUEUE_URL,
          batchSize: settings.POLL_FANOUT_BATCH_SIZE,
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
  const settings = parseEnvironment(z.pick(pollEnvironmentSchema, { POLL_CONCURRENCY: true }), env);
  return { concurrency: settings.POLL_CONCURRENCY, health: loadHealthPolicy(env) };
}
