import * as z from 'zod/mini';
import { ConfigurationError } from './errors';
import { REGION_PATTERN, dmsBaseUrl, endpointProblem } from './huawei/endpoint';
import { projectIdSchema } from './task-ref';
import './zod-locale';

const integer = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);

const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

/** HUAWEICLOUD_PROJECT_ID: every function that answers for a project refuses the others. */
export const servedProjectsSchema = z.pipe(
  z.pipe(z.string(), z.transform(commaList)),
  z
    .array(projectIdSchema)
    .check(z.minLength(1, 'is required: the comma-separated project id(s) this deployment serves')),
);

/** The public configuration interface; every name is documented in the README. */
const environmentSchema = z.object({
  HUAWEICLOUD_SECRET_ID: z
    .string()
    .check(z.trim(), z.minLength(1, 'is required (Secrets Manager secret id or ARN)')),
  HUAWEICLOUD_REGION: z
    .string()
    .check(z.trim(), z.regex(REGION_PATTERN, 'must be a Huawei Cloud region such as cn-north-4')),
  HUAWEICLOUD_ENDPOINT: z.pipe(
    z.optional(z.string().check(z.trim())),
    z.transform((value, ctx) => {
      if (!value) return undefined;
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.issues.push({ code: 'custom', message: 'must be an absolute URL', input: value });
        return z.NEVER;
      }
      const problem = endpointProblem(url);
      if (problem) {
        ctx.issues.push({ code: 'custom', message: problem, input: value });
        return z.NEVER;
      }
      return url;
    }),
  ),
  HUAWEICLOUD_PROJECT_ID: servedProjectsSchema,
  STATUS_TABLE_NAME: z
    .string()
    .check(z.trim(), z.minLength(3, 'is required (DynamoDB table name)')),
  SECRET_CACHE_TTL_SECONDS: integer(0, 86_400, 300),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: integer(100, 60_000, 3_000),
  UPSTREAM_MAX_ATTEMPTS: integer(1, 10, 3),
  UPSTREAM_MAX_RESPONSE_BYTES: integer(1_024, 10 * 1024 * 1024, 1024 * 1024),
  /** Ceiling per Lambda instance; it is what bounds a poll's pressure on Huawei's API. */
  UPSTREAM_MAX_REQUESTS_PER_SECOND: z._default(
    z.coerce.number().check(z.minimum(0.1), z.maximum(10_000)),
    50,
  ),
  /** How long a direct invocation's result is replayed for the same payload (0 turns it off). */
  INVOKE_IDEMPOTENCY_TTL_SECONDS: integer(0, 3_600, 30),
  /** Used when there is no Lambda context to derive a deadline from (local runs, tests). */
  UPSTREAM_DEFAULT_DEADLINE_MS: integer(500, 900_000, 10_000),
});

export type Environment = Readonly<Record<string, string | undefined>>;

export interface Config {
  readonly huawei: {
    readonly secretId: string;
    readonly region: string;
    readonly baseUrl: URL;
    readonly projectIds: ReadonlySet<string>;
    /** The project used when a caller names none (only when exactly one is served). */
    readonly defaultProjectId: string | undefined;
  };
  readonly secretCacheTtlMs: number;
  readonly upstream: {
    readonly attemptTimeoutMs: number;
    readonly maxAttempts: number;
    readonly maxResponseBytes: number;
    readonly maxRequestsPerSecond: number;
    readonly defaultDeadlineMs: number;
  };
  readonly statusTableName: string;
  readonly invokeIdempotencyTtlSeconds: number;
}

/** Formats zod issues as "NAME message" lines: names the variable, never echoes its value. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'} ${issue.message}`)
    .join('; ');
}

/**
 * Reads the variables `schema` describes; a bad one is a ConfigurationError naming it (never its
 * value), so the cold start fails saying what to fix.
 */
export function parseEnvironment<S extends z.ZodMiniType>(
  schema: S,
  env: Environment,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid configuration: ${describeIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** Parsed once per cold start; a bad variable fails the cold start with its name in the message. */
export function loadConfig(env: Environment): Config {
  const e = parseEnvironment(environmentSchema, env);
  return {
    huawei: {
      secretId: e.HUAWEICLOUD_SECRET_ID,
      region: e.HUAWEICLOUD_REGION,
      baseUrl: e.HUAWEICLOUD_ENDPOINT ?? dmsBaseUrl(e.HUAWEICLOUD_REGION),
      projectIds: new Set(e.HUAWEICLOUD_PROJECT_ID),
      defaultProjectId:
        e.HUAWEICLOUD_PROJECT_ID.length === 1 ? e.HUAWEICLOUD_PROJECT_ID[0] : undefined,
    },
    secretCacheTtlMs: e.SECRET_CACHE_TTL_SECONDS * 1000,
    upstream: {
      attemptTimeoutMs: e.UPSTREAM_ATTEMPT_TIMEOUT_MS,
      maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
      maxResponseBytes: e.UPSTREAM_MAX_RESPONSE_BYTES,
      maxRequestsPerSecond: e.UPSTREAM_MAX_REQUESTS_PER_SECOND,
      defaultDeadlineMs: e.UPSTREAM_DEFAULT_DEADLINE_MS,
    },
    statusTableName: e.STATUS_TABLE_NAME,
    invokeIdempotencyTtlSeconds: e.INVOKE_IDEMPOTENCY_TTL_SECONDS,
  };
}
