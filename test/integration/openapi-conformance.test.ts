import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { CONDITIONAL_CHECK_FAILED, DynamoDbError } from '../../lib/aws/dynamodb-error';
import { GET_TASK_ROUTE, LIST_TASKS_ROUTE, openApiDocument } from '../../lib/http/openapi';
import { TASK_HISTORY_ROUTE } from '../../lib/http/task-history';
import {
  INSTANCE_WATCH_ROUTE,
  PROJECT_WATCH_ROUTE,
  TASK_WATCH_ROUTE,
  WATCHES_ROUTE,
} from '../../lib/http/watch-routes';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import {
  INSTANCE_ID,
  PROJECT_ID,
  TASK_ID,
  startHarness,
  watchRouteCaller,
  type Harness,
  type WatchRouteCaller,
} from '../support/harness';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { openApiSchemaCompiler } from '../support/openapi-schemas';
import { TEST_CREDENTIALS } from '../support/test-credentials';

/*
 * The published document against what the real handler answers: every response below must be
 * declared for its status and media type, with a body and headers the declared schemas accept.
 */

type HttpResponse = Awaited<ReturnType<Harness['http']>>;

interface HeaderObject {
  required?: boolean;
  schema: { type?: string };
}

interface ResponseObject {
  headers?: Record<string, { $ref: string }>;
  /** Absent for a response without a body (204). */
  content?: Record<string, unknown>;
}

type Method = 'get' | 'put' | 'delete';

const TASK_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: TASK_ID };
const INSTANCE_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID };

const document = openApiDocument();
const declaredResponsesOf = (route: string, method: Method = 'get') =>
  (
    document.paths as Record<
      string,
      Partial<Record<Method, { responses: Record<string, ResponseObject> }>>
    >
  )[route]![method]!.responses;
const declaredResponses = declaredResponsesOf(GET_TASK_ROUTE);
const declaredHeaders = (document.components as { headers: Record<string, HeaderObject> }).headers;
const compiler = openApiSchemaCompiler(document);

/** Header values are strings on the wire; an integer-typed header is checked as its number. */
function headerValue(raw: string, schema: HeaderObject['schema']): unknown {
  return (schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)
    ? Number(raw)
    : raw;
}

/** Every way `response` of `route` departs from the document; empty when it conforms. */
function conformanceProblems(
  response: HttpResponse,
  route = GET_TASK_ROUTE,
  method: Method = 'get',
): string[] {
  const status = String(response.statusCode);
  const declared = declaredResponsesOf(route, method)[status];
  if (!declared) return [`status ${status} is not declared for the route`];

  const problems: string[] = [];
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([name, value]) => [
      name.toLowerCase(),
      String(value),
    ]),
  );

  const mediaType = headers['content-type'] ?? '(none)';
  if (declared.content === undefined) {
    if (mediaType !== '(none)' || (response.body ?? '') !== '') {
      problems.push(`${status}: declared without a body, answered ${mediaType}`);
    }
  } else if (!(mediaType in declared.content)) {
    problems.push(`${status}: content type ${mediaType} is not declared`);
  } else {
    const validate = compiler.responseBody(route, method, status, mediaType);
    if (!validate(JSON.parse(response.body ?? 'null'))) {
      for (const error of validate.errors ?? []) {
        problems.push(`${status}: body${error.instancePath} ${error.message}`);
      }
    }
  }

  // Header names are case-insensitive; the document's are referenced by component name.
  const declaredNames = new Map(
    Object.entries(declared.headers ?? {}).map(([name, { $ref }]) => [
      name.toLowerCase(),
      $ref.replace('#/components/headers/', ''),
    ]),
  );
  for (const [lowercase, component] of declaredNames) {
    const header = declaredHeaders[component]!;
    const raw = headers[lowercase];
    if (raw === undefined) {
      if (header.required) problems.push(`${status}: required header ${component} is missing`);
    } else if (!compiler.header(component)(headerValue(raw, header.schema))) {
      problems.push(`${status}: header ${component} has an undeclared value ${raw}`);
    }
  }
  // Content-Type is described by `content`; OpenAPI ignores it as a header.
  for (const name of Object.keys(headers)) {
    if (name !== 'content-type' && !declaredNames.has(name)) {
      problems.push(`${status}: header ${name} is not declared`);
    }
  }
  return problems;
}

let harness: Harness;
/** A deployment whose Huawei Cloud secret does not exist: the route's only way to a 500. */
let misconfigured: Harness;
/** Other observers win every conditional write of the task: the route's way to a 409. */
let contended: Harness;
/** A deployment whose history table does not exist, and one whose DynamoDB never answers. */
let noHistoryTable: Harness;
let dynamoDbDown: Harness;
/** The watch routes of a deployment whose watches table does not exist. */
let noWatchesTable: WatchRouteCaller;

/** A real DynamoDB client whose status writes always lose to "another observer". */
function alwaysOutrunDynamoDb(): DynamoDbClient {
  return serviceDynamoDb({
    around: (operation, work) =>
      operation === 'PutItem'
        ? Promise.reject(new DynamoDbError(CONDITIONAL_CHECK_FAILED, 'another observer won', 400))
        : work(),
  });
}

beforeAll(async () => {
  // random() = 0: zero backoff, so the fault scenarios stay fast.
  [harness, misconfigured, contended, noHistoryTable, dynamoDbDown] = await Promise.all([
    startHarness({ overrides: { random: () => 0 } }),
    startHarness({ env: { HUAWEICLOUD_SECRET_ID: 'huawei-aksk-that-does-not-exist' } }),
    startHarness({ overrides: { dynamoDb: alwaysOutrunDynamoDb() } }),
    startHarness({ env: { HISTORY_TABLE_NAME: 'history-table-that-does-not-exist' } }),
    // Nothing listens on port 9: every DynamoDB call is refused at once, once.
    startHarness({
      overrides: {
        dynamoDb: serviceDynamoDb({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
      },
    }),
  ]);
  noWatchesTable = watchRouteCaller(
    { ...harness.env, WATCHES_TABLE_NAME: 'watches-table-that-does-not-exist' },
    serviceDynamoDb(),
  );
});

afterAll(async () => {
  await Promise.all(
    [harness, misconfigured, contended, noHistoryTable, dynamoDbDown].map((h) => h.stop()),
  );
});

beforeEach(() => {
  harness.simulator.clearFaults();
  harness.simulator.setCredentials([TEST_CREDENTIALS]);
  harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: TASK_ID }));
});

interface Scenario {
  readonly name: string;
  readonly status: number;
  readonly respond: () => Promise<HttpResponse>;
}

interface RouteScenario extends Scenario {
  readonly route: string;
  readonly method?: Method;
}

const scenarios: Scenario[] = [
  { name: 'a task that exists', status: 200, respond: () => harness.http(TASK_PATH) },
  {
    name: 'a malformed path parameter',
    status: 400,
    respond: () => harness.http({ ...TASK_PATH, task_id: 'not-a-uuid' }),
  },
  {
    name: 'a missing path parameter',
    status: 400,
    respond: () => harness.http({ ...TASK_PATH, task_id: undefined }),
  },
  {
    name: 'a project this deployment does not serve',
    status: 403,
    respond: () => harness.http({ ...TASK_PATH, project_id: 'aaaabbbbccccddddeeeeffff00001111' }),
  },
  {
    name: 'a task that does not exist',
    status: 404,
    respond: () => {
      harness.simulator.deleteTask(PROJECT_ID, INSTANCE_ID, TASK_ID);
      return harness.http(TASK_PATH);
    },
  },
  {
    name: 'an instance that does not exist',
    status: 404,
    respond: () =>
      harness.http({ ...TASK_PATH, instance_id: '00000000-1111-4222-8333-444444444444' }),
  },
  {
    name: 'other observers recording changes of the task all the while',
    status: 409,
    respond: () => contended.http(TASK_PATH),
  },
  {
    name: 'a secret that cannot be read',
    status: 500,
    respond: () => misconfigured.http(TASK_PATH),
  },
  {
    name: 'Huawei Cloud refusing this service’s permissions',
    status: 502,
    respond: () => {
      harness.simulator.setFault({ kind: 'status', status: 403, errorCode: 'APIGW.0302' });
      return harness.http(TASK_PATH);
    },
  },
  {
    name: 'an HTML page from Huawei Cloud',
    status: 502,
    respond: () => {
      harness.simulator.setFault({ kind: 'html' });
      return harness.http(TASK_PATH);
    },
  },
  {
    name: 'throttling with a Retry-After beyond the deadline',
    status: 503,
    respond: () => {
      harness.simulator.setFault({ kind: 'status', status: 429, retryAfter: '60' });
      return harness.http(TASK_PATH);
    },
  },
  {
    name: 'Huawei Cloud not answering in time',
    status: 504,
    respond: () => {
      harness.simulator.setFault({ kind: 'hang' });
      // 2 s left, 1.5 s of it reserved: one 500 ms attempt, then the deadline.
      return harness.http(TASK_PATH, 2_000);
    },
  },
];

/** The list route, in the same situations where it can be in them, and in its own. */
const listScenarios: Scenario[] = [
  {
    name: 'an instance with tasks',
    status: 200,
    respond: () => harness.listTasks(INSTANCE_PATH),
  },
  {
    name: 'a malformed path parameter',
    status: 400,
    respond: () => harness.listTasks({ ...INSTANCE_PATH, instance_id: 'not-a-uuid' }),
  },
  {
    name: 'a missing path parameter',
    status: 400,
    respond: () => harness.listTasks({ ...INSTANCE_PATH, instance_id: undefined }),
  },
  {
    name: 'a project this deployment does not serve',
    status: 403,
    respond: () =>
      harness.listTasks({ ...INSTANCE_PATH, project_id: 'aaaabbbbccccddddeeeeffff00001111' }),
  },
  {
    name: 'an instance that does not exist',
    status: 404,
    respond: () =>
      harness.listTasks({ ...INSTANCE_PATH, instance_id: '00000000-1111-4222-8333-444444444444' }),
  },
  {
    name: 'other observers recording changes of a listed task all the while',
    status: 409,
    respond: () => contended.listTasks(INSTANCE_PATH),
  },
  {
    name: 'a secret that cannot be read',
    status: 500,
    respond: () => misconfigured.listTasks(INSTANCE_PATH),
  },
  {
    name: 'more tasks than one response can hold',
    status: 500,
    respond: () => harness.listTasks(INSTANCE_PATH, { maxResponseBytes: 1_024 }),
  },
  {
    name: 'a malformed task from Huawei Cloud',
    status: 502,
    respond: () => {
      harness.simulator.putTask(PROJECT_ID, INSTANCE_ID, exampleTask({ id: TASK_ID, status: 42 }));
      return harness.listTasks(INSTANCE_PATH);
    },
  },
  {
    name: 'Huawei Cloud refusing this service’s permissions',
    status: 502,
    respond: () => {
      harness.simulator.setFault({ kind: 'status', status: 403, errorCode: 'APIGW.0302' });
      return harness.listTasks(INSTANCE_PATH);
    },
  },
  {
    name: 'throttling with a Retry-After beyond the deadline',
    status: 503,
    respond: () => {
      harness.simulator.setFault({ kind: 'status', status: 429, retryAfter: '60' });
      return harness.listTasks(INSTANCE_PATH);
    },
  },
  {
    name: 'Huawei Cloud not answering in time',
    status: 504,
    respond: () => {
      harness.simulator.setFault({ kind: 'hang' });
      return harness.listTasks(INSTANCE_PATH, { remainingMs: 2_000 });
    },
  },
];

/** The history route: this service's own records, no call to Huawei. */
const historyScenarios: Scenario[] = [
  {
    name: 'a task observed before',
    status: 200,
    respond: async () => {
      await harness.http(TASK_PATH);
      await harness.deliver();
      return harness.history({ limit: '1' }, TASK_PATH);
    },
  },
  {
    name: 'a malformed query parameter',
    status: 400,
    respond: () => harness.history({ limit: 'all' }, TASK_PATH),
  },
  {
    name: 'a project this deployment does not serve',
    status: 403,
    respond: () =>
      harness.history(undefined, { ...TASK_PATH, project_id: 'aaaabbbbccccddddeeeeffff00001111' }),
  },
  {
    name: 'a task this service never observed',
    status: 404,
    respond: () =>
      harness.history(undefined, { ...TASK_PATH, task_id: '00000000-1111-4222-8333-444444444444' }),
  },
  {
    name: 'a history table that does not exist',
    status: 500,
    respond: () => noHistoryTable.history(undefined, TASK_PATH),
  },
  {
    name: 'DynamoDB refusing every call',
    status: 503,
    respond: () => dynamoDbDown.history(undefined, TASK_PATH),
  },
];

const NOT_SERVED = 'aaaabbbbccccddddeeeeffff00001111';
const UNKNOWN_INSTANCE = '00000000-1111-4222-8333-444444444444';

/** The watch routes: this service's own table, no call to Huawei. */
const watchScenarios: RouteScenario[] = [
  {
    name: 'the watch list',
    status: 200,
    respond: async () => {
      await harness.watches('PUT', { project_id: PROJECT_ID });
      return harness.watches('GET');
    },
  },
  { name: 'a missing watches table', status: 500, respond: () => noWatchesTable('GET') },
  { name: 'DynamoDB refusing every call', status: 503, respond: () => dynamoDbDown.watches('GET') },
].map((scenario) => ({ ...scenario, route: WATCHES_ROUTE }));

/** PUT and DELETE of one kind of watch: every status each declares. */
function watchWriteScenarios(
  route: string,
  path: Record<string, string>,
  malformed: Record<string, string>,
): RouteScenario[] {
  const put: Scenario[] = [
    {
      name: 'a new watch',
      status: 201,
      respond: async () => {
        await harness.watches('DELETE', path);
        return harness.watches('PUT', path);
      },
    },
    {
      name: 'a watch stored already',
      status: 200,
      respond: async () => {
        await harness.watches('PUT', path);
        return harness.watches('PUT', path);
      },
    },
  ];
  const del: Scenario[] = [
    {
      name: 'a stored watch',
      status: 204,
      respond: async () => {
        await harness.watches('PUT', path);
        return harness.watches('DELETE', path);
      },
    },
    {
      name: 'a watch never stored',
      status: 404,
      respond: async () => {
        await harness.watches('DELETE', path);
        return harness.watches('DELETE', path);
      },
    },
  ];
  const failures = (method: 'PUT' | 'DELETE'): Scenario[] => [
    { name: 'a malformed id', status: 400, respond: () => harness.watches(method, malformed) },
    {
      name: 'a project not served',
      status: 403,
      respond: () => harness.watches(method, { ...path, project_id: NOT_SERVED }),
    },
    { name: 'a missing watches table', status: 500, respond: () => noWatchesTable(method, path) },
    {
      name: 'DynamoDB refusing every call',
      status: 503,
      respond: () => dynamoDbDown.watches(method, path),
    },
  ];
  return [
    ...[...put, ...failures('PUT')].map((s) => ({ ...s, route, method: 'put' as const })),
    ...[...del, ...failures('DELETE')].map((s) => ({ ...s, route, method: 'delete' as const })),
  ];
}

const routeScenarios: RouteScenario[] = [
  ...scenarios.map((scenario) => ({ ...scenario, route: GET_TASK_ROUTE })),
  ...listScenarios.map((scenario) => ({ ...scenario, route: LIST_TASKS_ROUTE })),
  ...historyScenarios.map((scenario) => ({ ...scenario, route: TASK_HISTORY_ROUTE })),
  ...watchScenarios,
  ...watchWriteScenarios(
    PROJECT_WATCH_ROUTE,
    { project_id: PROJECT_ID },
    { project_id: 'not-a-project' },
  ),
  ...watchWriteScenarios(
    INSTANCE_WATCH_ROUTE,
    { project_id: PROJECT_ID, instance_id: UNKNOWN_INSTANCE },
    { project_id: PROJECT_ID, instance_id: 'nope' },
  ),
  ...watchWriteScenarios(
    TASK_WATCH_ROUTE,
    { ...TASK_PATH, instance_id: UNKNOWN_INSTANCE },
    { ...TASK_PATH, task_id: 'nope' },
  ),
];

it.each(routeScenarios)(
  'answers $name on $method $route with a $status response the document declares',
  async ({ route, method = 'get', status, respond }) => {
    const response = await respond();

    expect(response.statusCode).toBe(status);
    expect(conformanceProblems(response, route, method)).toEqual([]);
  },
);

it('passes a Retry-After on as the header the document declares for 503', async () => {
  harness.simulator.setFault({ kind: 'status', status: 429, retryAfter: '60' });

  const response = await harness.http(TASK_PATH);

  expect(response.headers?.['retry-after']).toBe('60');
  expect(declaredResponses['503']!.headers).toHaveProperty('Retry-After');
});

it.each<[Method, string]>([
  ['get', GET_TASK_ROUTE],
  ['get', LIST_TASKS_ROUTE],
  ['get', TASK_HISTORY_ROUTE],
  ['get', WATCHES_ROUTE],
  ...[PROJECT_WATCH_ROUTE, INSTANCE_WATCH_ROUTE, TASK_WATCH_ROUTE].flatMap(
    (route): [Method, string][] => [
      ['put', route],
      ['delete', route],
    ],
  ),
])('demonstrates every status the document declares for %s %s', (method, route) => {
  const demonstrated = new Set(
    routeScenarios
      .filter((s) => s.route === route && (s.method ?? 'get') === method)
      .map(({ status }) => String(status)),
  );

  expect([...demonstrated].sort()).toEqual(Object.keys(declaredResponsesOf(route, method)).sort());
});

it('declares an operation for every method of every route, and each is demonstrated', () => {
  const declared = Object.entries(document.paths as Record<string, object>).flatMap(
    ([route, operations]) => Object.keys(operations).map((method) => `${method} ${route}`),
  );
  const demonstrated = new Set(routeScenarios.map((s) => `${s.method ?? 'get'} ${s.route}`));

  expect(declared.filter((operation) => !demonstrated.has(operation))).toEqual([]);
});

describe('the conformance check', () => {
  // Guards the tests above: each divergence between the handler and the document must show.
  type Divergence = [name: string, diverge: (response: HttpResponse) => HttpResponse, RegExp];
  const divergences: Divergence[] = [
    ['an undeclared status', (r) => ({ ...r, statusCode: 418 }), /status 418 is not declared/],
    [
      'an undeclared content type',
      (r) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } }),
      /content type text\/plain is not declared/,
    ],
    [
      'a body field the schema does not have',
      (r) => ({ ...r, body: JSON.stringify({ ...r.json, etag: 'x' }) }),
      /must NOT have additional properties/,
    ],
    [
      'a problem code its status does not carry',
      (r) => ({
        ...r,
        statusCode: 404,
        headers: { ...r.headers, 'content-type': 'application/problem+json' },
        body: JSON.stringify({
          type: 'https://example.com/problems/upstream-timeout',
          title: 'Not Found',
          status: 404,
          code: 'UPSTREAM_TIMEOUT',
          detail: 'Huawei Cloud did not answer in time.',
        }),
      }),
      /body\/code must be equal to one of the allowed values/,
    ],
    [
      'an undeclared header',
      (r) => ({ ...r, headers: { ...r.headers, 'x-debug': '1' } }),
      /header x-debug is not declared/,
    ],
    [
      'a header value the document does not promise',
      (r) => ({ ...r, headers: { ...r.headers, 'cache-control': 'max-age=60' } }),
      /header Cache-Control has an undeclared value/,
    ],
    [
      'a missing required header',
      (r) => {
        const headers = { ...r.headers };
        delete headers['x-frame-options'];
        return { ...r, headers };
      },
      /required header X-Frame-Options is missing/,
    ],
  ];

  it('reports a listed task the schema does not accept', async () => {
    const response = await harness.listTasks(INSTANCE_PATH);
    const body = response.json as { tasks: Record<string, unknown>[] };
    const withoutStatus = body.tasks.map(({ status: _status, ...task }) => task);

    const problems = conformanceProblems(
      { ...response, body: JSON.stringify({ ...body, tasks: withoutStatus }) },
      LIST_TASKS_ROUTE,
    );

    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/body\/tasks\/0 must have required/)]),
    );
  });

  it.each(divergences)('reports %s', async (_name, diverge, problem) => {
    const response = await harness.http(TASK_PATH);

    const problems = conformanceProblems(diverge(response));

    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});
