/**
 * Properties of the HTTP endpoint over generated inputs, against the real handler, moto and the
 * Huawei simulator. Each property names its fixed seed, so a failure replays exactly; raise
 * `numRuns` locally to search harder, but keep the committed counts inside the suite's budget.
 */
import fc from 'fast-check';
import * as z from 'zod/mini';
import {
  normalizeConnectorTask,
  upstreamConnectorTaskSchema,
  type ConnectorTask,
} from '../../lib/connector-task';
import {
  TaskNotFoundError,
  UpstreamRejectedError,
  UpstreamThrottledError,
  UpstreamUnavailableError,
} from '../../lib/errors';
import { ID_PATTERNS } from '../../lib/task-ref';
import {
  ERROR_CODES,
  exampleTask,
  obsSinkTask,
  type Fault,
} from '../simulator/huawei-dms-simulator';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, startHarness, type Harness } from '../support/harness';
import { ROTATED_CREDENTIALS, TEST_CREDENTIALS } from '../support/test-credentials';

/** Generous for CI on two cores; each property takes a few seconds locally. */
const PROPERTY_TIMEOUT_MS = 60_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    // The warm container's rate limiter halves its pace on every 429 and earns it back only on
    // successes; at the default 50/s a few generated 429s would pace every later run at 1/s.
    env: { UPSTREAM_MAX_REQUESTS_PER_SECOND: '10000' },
    // random() = 0: zero backoff, so retried answers (5xx, 429) cost no waiting.
    overrides: { random: () => 0 },
  });
});

afterAll(async () => {
  await harness.stop();
});

beforeEach(() => {
  harness.reset();
});

// ---------------------------------------------------------------------------------------------
// Path parameters.

type PathField = 'project_id' | 'instance_id' | 'task_id';
type PathParameters = Record<PathField, string | undefined>;

const PATTERN_OF: Record<PathField, RegExp> = {
  project_id: ID_PATTERNS.projectId,
  instance_id: ID_PATTERNS.instanceId,
  task_id: ID_PATTERNS.taskId,
};
const PATH_FIELDS = Object.keys(PATTERN_OF) as PathField[];

/** The oracle: lib/task-ref.ts's own patterns, applied to exactly what the caller sent. */
function invalidFields(path: PathParameters): PathField[] {
  return PATH_FIELDS.filter((field) => {
    const value = path[field];
    return value === undefined || !PATTERN_OF[field].test(value);
  });
}

const validProjectId = fc.oneof(
  { weight: 3, arbitrary: fc.constant(PROJECT_ID) },
  { weight: 1, arbitrary: fc.stringMatching(ID_PATTERNS.projectId) },
);
const validInstanceId = fc.oneof(
  fc.constant(INSTANCE_ID),
  fc.stringMatching(ID_PATTERNS.instanceId),
);
const validTaskId = fc.oneof(fc.constant(TASK_ID), fc.stringMatching(ID_PATTERNS.taskId));

/** Small edits that turn a valid id into something that only looks like one. */
const NEAR_MISSES: readonly ((id: string) => string)[] = [
  (id) => id.toUpperCase(),
  (id) => `${id}\n`,
  (id) => `${id}\r\n`,
  (id) => ` ${id}`,
  (id) => `${id}\t`,
  (id) => `\u200b${id}`,
  (id) => `${id}\u0000`,
  (id) => id.slice(1),
  (id) => `${id}0`,
  (id) => `${id}/`,
  (id) => `../${id}`,
  (id) => `${id}/..`,
  (id) => `${id}%2F..%2F`,
  (id) => `${id}?x=1`,
  (id) => `${id}#`,
  (id) => encodeURIComponent(`/${id}`),
  (id) => id.replace(/-/g, ''),
  (id) => id.replace(/-/g, '%2D'),
  (id) => id.replace(/a/g, '\u0430'), // Cyrillic a
  (id) => id.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))), // full-width digits
  (id) => id.repeat(64),
];

function nearMiss(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(valid, fc.constantFrom(...NEAR_MISSES)).map(([id, edit]) => edit(id));
}

const arbitraryText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({
    unit: fc.constantFrom('/', '.', '%', '2', 'F', 'f', 'a', '0', '-', ' ', '\n', '\\'),
  }),
  fc
    .tuple(fc.string({ minLength: 1 }), fc.integer({ min: 200, max: 5_000 }))
    .map(([s, n]) => s.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    '.',
    '..',
    '/',
    '%2F',
    '%2e%2e',
    '..%2F..%2Fv1',
    'undefined',
    'null',
    PROJECT_ID.toUpperCase(),
    INSTANCE_ID.toUpperCase(),
    `${TASK_ID}\n`,
  ),
);

function pathParameter(valid: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 3, arbitrary: nearMiss(valid) },
    { weight: 3, arbitrary: arbitraryText },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A third all valid (so requests do reach the simulator), the rest mixed. */
const pathParameters: fc.Arbitrary<PathParameters> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      project_id: validProjectId,
      instance_id: validInstanceId,
      task_id: validTaskId,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      project_id: pathParameter(validProjectId),
      instance_id: pathParameter(validInstanceId),
      task_id: pathParameter(validTaskId),
    }),
  },
);

describe('path parameters', () => {
  it(
    'refuses any invalid path parameter with 400 before any upstream call, and sends every valid served one upstream exactly as given',
    async () => {
      const seen = { invalid: 0, notServed: 0, reached: 0 };

      await fc.assert(
        fc.asyncProperty(pathParameters, async (path) => {
          harness.simulator.clearRequests();

          const response = await harness.http(path);

          const invalid = invalidFields(path);
          if (invalid.length > 0) {
            seen.invalid += 1;
            expect(response.statusCode).toBe(400);
            expect(response.headers?.['content-type']).toBe('application/problem+json');
            expect(response.json).toMatchObject({ status: 400, code: 'INVALID_REQUEST' });
            const fields = (response.json.invalidFields as { field: string }[]).map((f) => f.field);
            expect(fields.sort()).toEqual([...invalid].sort());
            expect(harness.simulator.requests).toHaveLength(0);
          } else if (path.project_id !== PROJECT_ID) {
            seen.notServed += 1;
            expect(response.statusCode).toBe(403);
            expect(response.json.code).toBe('PROJECT_NOT_SERVED');
            expect(harness.simulator.requests).toHaveLength(0);
          } else {
            seen.reached += 1;
            expect(harness.simulator.requests).toHaveLength(1);
            const [request] = harness.simulator.requests;
            expect(request).toMatchObject({
              method: 'GET',
              path: `/v2/${path.project_id}/instances/${path.instance_id}/connector/tasks/${path.task_id}`,
              query: '',
            });
            const expected =
              path.instance_id !== INSTANCE_ID
                ? { statusCode: 404, code: 'INSTANCE_NOT_FOUND' }
                : path.task_id !== TASK_ID
                  ? { statusCode: 404, code: 'TASK_NOT_FOUND' }
                  : { statusCode: 200, code: undefined };
            expect(response.statusCode).toBe(expected.statusCode);
            expect(response.json.code).toBe(expected.code);
          }
        }),
        { seed: 20_261_123, numRuns: 300 },
      );

      // The property says nothing if one of its branches never ran.
      expect(seen.invalid).toBeGreaterThanOrEqual(100);
      expect(seen.notServed).toBeGreaterThanOrEqual(10);
      expect(seen.reached).toBeGreaterThanOrEqual(40);
    },
    PROPERTY_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// Upstream answers.

/** Marks text that only ever comes from upstream error messages or unknown fields. */
const UPSTREAM_CANARY = 'upstream-text-canary';

const UPSTREAM_STATUSES = [
  200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503,
] as const;
type UpstreamStatus = (typeof UPSTREAM_STATUSES)[number];

/** `json`: whether the header names a JSON media type (application/json or application/*+json). */
const CONTENT_TYPES: readonly { header: string | undefined; json: boolean }[] = [
  { header: 'application/json', json: true },
  { header: 'application/json; charset=utf-8', json: true },
  { header: 'APPLICATION/JSON;charset=UTF-8', json: true },
  { header: 'application/problem+json', json: true },
  { header: 'text/html', json: false },
  { header: 'text/plain', json: false },
  // The simulator always sends a Content-Type: undefined is its default (JSON), '' an empty one.
  { header: undefined, json: true },
  { header: '', json: false },
];

interface UpstreamAnswer {
  readonly status: UpstreamStatus;
  readonly body: string;
  readonly contentType: { header: string | undefined; json: boolean };
}

const upstreamText = fc
  .tuple(fc.string(), fc.string())
  .map(([before, after]) => `${before}${UPSTREAM_CANARY}${after}`);

/**
 * A value of the type the upstream schema expects, derived from the schema so the generator
 * follows it, or (with `noise`) sometimes any JSON value at all.
 */
function valueFor(schema: z.ZodMiniType, noise: boolean): fc.Arbitrary<unknown> {
  const wellTyped = wellTypedValueFor(schema, noise);
  return noise
    ? fc.oneof({ weight: 4, arbitrary: wellTyped }, { weight: 1, arbitrary: fc.jsonValue() })
    : wellTyped;
}

function wellTypedValueFor(schema: z.ZodMiniType, noise: boolean): fc.Arbitrary<unknown> {
  if (schema instanceof z.ZodMiniOptional || schema instanceof z.ZodMiniNullable) {
    return fc.oneof(
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 4, arbitrary: wellTypedValueFor(schema.def.innerType as z.ZodMiniType, noise) },
    );
  }
  if (schema instanceof z.ZodMiniString) {
    return fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('RUNNING', 'PAUSED', 'KAFKA_REPLICATOR_SOURCE', 'OBS_SINK', 'NONE'),
    );
  }
  if (schema instanceof z.ZodMiniBoolean) return fc.boolean();
  if (schema instanceof z.ZodMiniNumber) {
    return fc.oneof(
      fc.integer({ min: 0, max: 253_402_300_799_999 }),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    );
  }
  if (schema instanceof z.ZodMiniObject) return objectFor(schema, noise);
  throw new Error('wellTypedValueFor: add an arbitrary for this kind of schema');
}

function objectFor(schema: z.ZodMiniObject, noise: boolean): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [
      key,
      valueFor(field as z.ZodMiniType, noise),
    ]),
  );
  return fc.record(fields, { requiredKeys: [] });
}

/** Bodies made of the contract's keys; some carry unknown fields holding upstream text. */
const taskLikeBody: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.oneof(
      objectFor(upstreamConnectorTaskSchema, false),
      objectFor(upstreamConnectorTaskSchema, true),
      objectFor(upstreamConnectorTaskSchema, false).map((fields) => ({
        ...exampleTask(),
        ...fields,
      })),
      fc.constantFrom(exampleTask(), obsSinkTask(), exampleTask({ id: TASK_ID })),
    ),
    fc.option(upstreamText, { nil: undefined }),
  )
  .map(([body, text]) => (text === undefined ? body : { ...body, error_msg: text, note: text }));

/** Huawei's error shapes, with messages that must never reach the caller. */
const errorBody: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record(
    {
      error_code: fc.oneof(fc.constantFrom(...Object.values(ERROR_CODES)), fc.string()),
      error_msg: upstreamText,
    },
    { requiredKeys: ['error_msg'] },
  ),
  fc.record({
    error: fc.record({
      code: fc.constantFrom(...Object.values(ERROR_CODES)),
      message: upstreamText,
    }),
  }),
);

const jsonText = fc.oneof(
  taskLikeBody.map((body) => JSON.stringify(body)),
  errorBody.map((body) => JSON.stringify(body)),
  fc.json(),
);

const upstreamBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: taskLikeBody.map((body) => JSON.stringify(body)) },
  { weight: 2, arbitrary: errorBody.map((body) => JSON.stringify(body)) },
  { weight: 1, arbitrary: fc.json() },
  { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: 'binary' }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(jsonText, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }))
      .map(([text, at]) => text.slice(0, Math.floor(text.length * at))),
  },
);

const anyUpstreamAnswer: fc.Arbitrary<UpstreamAnswer> = fc.record({
  status: fc.oneof(
    { weight: 1, arbitrary: fc.constant(200 as const) },
    { weight: 1, arbitrary: fc.constantFrom(...UPSTREAM_STATUSES) },
  ),
  body: upstreamBody,
  contentType: fc.oneof(
    { weight: 2, arbitrary: fc.constant(CONTENT_TYPES[0]!) },
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  ),
});

/** Mostly valid tasks as JSON 200s, so the success path is exercised as much as the others. */
const plausibleTaskAnswer: fc.Arbitrary<UpstreamAnswer> = fc.record({
  status: fc.constant(200 as const),
  body: fc
    .tuple(
      objectFor(upstreamConnectorTaskSchema, false),
      fc.option(upstreamText, { nil: undefined }),
    )
    .map(([fields, text]) =>
      JSON.stringify({
        ...exampleTask(),
        ...fields,
        ...(text === undefined ? {} : { error_msg: text }),
      }),
    ),
  contentType: fc.constantFrom(...CONTENT_TYPES.filter((type) => type.json)),
});

const upstreamAnswer: fc.Arbitrary<UpstreamAnswer> = fc.oneof(
  { weight: 1, arbitrary: plausibleTaskAnswer },
  { weight: 3, arbitrary: anyUpstreamAnswer },
);

function rawFault(answer: UpstreamAnswer): Fault {
  return {
    kind: 'raw',
    status: answer.status,
    body: answer.body,
    ...(answer.contentType.header === undefined ? {} : { contentType: answer.contentType.header }),
  };
}

type Expected =
  | { readonly statusCode: 200; readonly task: ConnectorTask; readonly attempts: 1 }
  | { readonly statusCode: number; readonly codes: readonly string[]; readonly attempts: number };

const CONTRACT_VIOLATION = { statusCode: 502, codes: ['UPSTREAM_CONTRACT_VIOLATION'], attempts: 1 };

/**
 * The documented mapping, when Huawei gives the same answer to every attempt. Only a 200 with a
 * JSON media type and a body `normalizeConnectorTask` accepts is a task; everything else is one
 * of our problems. 5xx and 429 are retried (3 attempts), a 401 once after re-reading the secret.
 */
function expectedFor(answer: UpstreamAnswer): Expected {
  switch (answer.status) {
    case 200: {
      if (!answer.contentType.json) return CONTRACT_VIOLATION;
      // What the handler reads: the body after its trip through UTF-8 on the wire.
      const received = Buffer.from(answer.body, 'utf8').toString('utf8');
      try {
        return { statusCode: 200, task: normalizeConnectorTask(JSON.parse(received)), attempts: 1 };
      } catch {
        return CONTRACT_VIOLATION;
      }
    }
    case 201:
    case 204:
    case 301:
      return CONTRACT_VIOLATION;
    case 400:
    case 409:
      return { statusCode: 502, codes: ['UPSTREAM_REJECTED'], attempts: 1 };
    case 401:
      return { statusCode: 502, codes: ['UPSTREAM_AUTH_FAILED'], attempts: 2 };
    case 403:
      return { statusCode: 502, codes: ['UPSTREAM_FORBIDDEN'], attempts: 1 };
    case 404:
      return { statusCode: 404, codes: notFoundCodes(answer.body), attempts: 1 };
    case 429:
      return { statusCode: 503, codes: ['UPSTREAM_THROTTLED'], attempts: 3 };
    case 500:
    case 502:
    case 503:
      return { statusCode: 502, codes: ['UPSTREAM_UNAVAILABLE'], attempts: 3 };
  }
}

/** Huawei's instance-not-found code decides between the two; without it, the task is missing. */
function notFoundCodes(body: string): string[] {
  if (!body.includes(ERROR_CODES.instanceNotFound)) return ['TASK_NOT_FOUND'];
  const parsed = parseOrUndefined(body) as { error_code?: unknown } | null | undefined;
  if (parsed?.error_code === ERROR_CODES.instanceNotFound) return ['INSTANCE_NOT_FOUND'];
  return ['TASK_NOT_FOUND', 'INSTANCE_NOT_FOUND'];
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const DOCUMENTED_STATUSES = [200, 404, 502, 503, 504];

/** Every detail the endpoint can give for an upstream problem, whatever upstream said. */
const FIXED_DETAILS = new Set([
  new TaskNotFoundError('task').message,
  new TaskNotFoundError('instance').message,
  new UpstreamThrottledError().message,
  new UpstreamUnavailableError().message,
  new UpstreamRejectedError(400).message,
  new UpstreamRejectedError(401).message,
  new UpstreamRejectedError(403).message,
]);

const CONTRACT_DETAIL = /^Huawei Cloud answered outside its API contract: (.+)\.$/;
const FIXED_CONTRACT_REASONS = [
  /^content type is not JSON$/,
  /^body is not valid JSON$/,
  /^unexpected redirect \(\d{3}\)$/,
  /^unexpected status \d{3}$/,
  /^the task contains text that is not valid Unicode$/,
  /^the task is larger than \d+ bytes$/,
];
const INVALID_BODY_REASON = /^the ShowConnectorTask body is invalid \((.+)\)$/;
const ISSUE_KIND =
  /^(missing|empty|invalid|below the accepted range|above the accepted range|expected [a-z]+, got (null|array|NaN|non-finite number|integer|fractional number|[a-z]+))$/;

/** Every key of the upstream schema, nested ones included: the only names a detail may use. */
function schemaKeys(schema: z.ZodMiniType): string[] {
  if (schema instanceof z.ZodMiniOptional || schema instanceof z.ZodMiniNullable) {
    return schemaKeys(schema.def.innerType as z.ZodMiniType);
  }
  if (!(schema instanceof z.ZodMiniObject)) return [];
  return Object.entries(schema.shape).flatMap(([key, field]) => [
    key,
    ...schemaKeys(field as z.ZodMiniType),
  ]);
}
const SCHEMA_KEYS = new Set(schemaKeys(upstreamConnectorTaskSchema));

/** Ours: a fixed message, or a contract violation naming schema fields and kinds of problem. */
function isOurDetail(detail: string): boolean {
  if (FIXED_DETAILS.has(detail)) return true;
  const reason = CONTRACT_DETAIL.exec(detail)?.[1];
  if (reason === undefined) return false;
  if (FIXED_CONTRACT_REASONS.some((pattern) => pattern.test(reason))) return true;
  const issues = INVALID_BODY_REASON.exec(reason)?.[1];
  if (issues === undefined) return false;
  return issues.split('; ').every((issue) => {
    if (/^\d+ more$/.test(issue)) return true;
    const [path = '', kind = ''] = issue.split(': ');
    const pathIsOurs =
      path === 'body' || path.split('.').every((segment) => SCHEMA_KEYS.has(segment));
    return pathIsOurs && ISSUE_KIND.test(kind);
  });
}

type HttpResponse = Awaited<ReturnType<Harness['http']>>;

/**
 * The specification for one upstream answer: a documented status and a JSON body; the normalized
 * task exactly when `expectedFor` says so, otherwise a problem whose every word is ours. Returns
 * which of the two it was.
 */
function expectAnsweredAsSpecified(
  answer: UpstreamAnswer,
  response: HttpResponse,
): 'task' | 'problem' {
  const expected = expectedFor(answer);
  expect(DOCUMENTED_STATUSES).toContain(response.statusCode);
  expect(typeof response.body).toBe('string');
  expect(response.json).toEqual(expect.any(Object));
  expect(response.body).not.toContain(UPSTREAM_CANARY);
  expect(harness.simulator.requests).toHaveLength(expected.attempts);

  if ('task' in expected) {
    expect({ statusCode: response.statusCode, code: response.json.code }).toEqual({
      statusCode: 200,
      code: undefined,
    });
    expect(response.headers?.['content-type']).toBe('application/json');
    // The task as normalized, plus since when (and how long) it has been in its status.
    expect(response.json).toEqual({
      ...expected.task,
      statusSince: expect.any(String) as string,
      statusDurationMs: expect.any(Number) as number,
    });
    return 'task';
  }
  expect(response.statusCode).toBe(expected.statusCode);
  expect(response.headers?.['content-type']).toBe('application/problem+json');
  const problem = response.json;
  expect(problem.status).toBe(response.statusCode);
  expect(expected.codes).toContain(problem.code);
  expect(typeof problem.detail).toBe('string');
  expect(isOurDetail(problem.detail as string)).toBe(true);
  const injected = answer.body.trim();
  if (injected.length >= 8) {
    for (const value of Object.values(problem)) {
      if (typeof value === 'string') expect(value).not.toContain(injected);
    }
  }
  return 'problem';
}

describe('upstream answers', () => {
  afterEach(() => {
    harness.simulator.clearFaults();
  });

  it(
    'answers any upstream status, body and content type with a documented status and JSON: the task only for a valid 200, otherwise a problem in our own words',
    async () => {
      const seen = { task: 0, problem: 0 };

      await fc.assert(
        fc.asyncProperty(upstreamAnswer, async (answer) => {
          harness.simulator.clearRequests();
          harness.simulator.setFault(rawFault(answer));

          const response = await harness.http();

          seen[expectAnsweredAsSpecified(answer, response)] += 1;
        }),
        { seed: 4_242, numRuns: 300 },
      );

      expect(seen.task).toBeGreaterThanOrEqual(30);
      expect(seen.problem).toBeGreaterThanOrEqual(100);
    },
    PROPERTY_TIMEOUT_MS,
  );

  /*
   * Regression cases: bodies the normalizer once accepted that the status store could not
   * write (the endpoint then answered 503 on every read). They only ask for agreement with the
   * normalizer.
   */
  it('answers a task whose status holds an escaped lone surrogate as the normalizer does', async () => {
    const answer: UpstreamAnswer = {
      status: 200,
      body: '{"id":"t","status":"\\ud800"}',
      contentType: CONTENT_TYPES[0]!,
    };
    harness.simulator.setFault(rawFault(answer));

    const response = await harness.http();

    expectAnsweredAsSpecified(answer, response);
  });

  it('answers a task too large for one DynamoDB item, within the upstream size cap, as the normalizer does', async () => {
    // 400 KiB of topics: DynamoDB's item limit is 400 KB, the upstream response cap 1 MiB.
    const answer: UpstreamAnswer = {
      status: 200,
      body: JSON.stringify({ id: 't', status: 'OVERSIZED', topics: 'x'.repeat(400 * 1024) }),
      contentType: CONTENT_TYPES[0]!,
    };
    harness.simulator.setFault(rawFault(answer));

    const response = await harness.http();

    expectAnsweredAsSpecified(answer, response);
  });
});

describe('upstream messages carrying credentials', () => {
  afterEach(() => {
    harness.simulator.clearFaults();
    harness.simulator.setCredentials([TEST_CREDENTIALS]);
    harness.container.credentials.clear();
  });

  it('never passes on the access key a gateway 401 message names', async () => {
    // Only ROTATED is accepted: the gateway answers 401 naming the AK we signed with.
    harness.simulator.setCredentials([ROTATED_CREDENTIALS]);

    const response = await harness.http();

    expect(harness.simulator.requests.map((r) => [r.outcome, r.status, r.accessKeyId])).toEqual([
      ['rejected', 401, TEST_CREDENTIALS.accessKeyId],
      ['rejected', 401, TEST_CREDENTIALS.accessKeyId],
    ]);
    expect(response.statusCode).toBe(502);
    expect(response.json).toMatchObject({
      code: 'UPSTREAM_AUTH_FAILED',
      detail: new UpstreamRejectedError(401).message,
    });
    expect(response.body).not.toContain(TEST_CREDENTIALS.accessKeyId);
  });

  it.each([400, 401, 403, 404, 429, 500])(
    'never passes on credentials an upstream %i error message contains',
    async (status) => {
      harness.simulator.setFault({
        kind: 'raw',
        status,
        body: JSON.stringify({
          error_code: ERROR_CODES.authenticationFailed,
          error_msg: `Incorrect IAM authentication information: ak: ${TEST_CREDENTIALS.accessKeyId}, sk: ${TEST_CREDENTIALS.secretAccessKey}`,
        }),
      });

      const response = await harness.http();

      expect(response.statusCode).not.toBe(200);
      expect(response.body).not.toContain(TEST_CREDENTIALS.accessKeyId);
      expect(response.body).not.toContain(TEST_CREDENTIALS.secretAccessKey);
      expect(isOurDetail(response.json.detail as string)).toBe(true);
    },
  );
});
