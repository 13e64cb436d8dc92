import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GET_TASK_ROUTE, LIST_TASKS_ROUTE, openApiDocument } from '../../lib/http/openapi';
import { TASK_HISTORY_ROUTE } from '../../lib/http/task-history';
import { exampleTask } from '../simulator/huawei-dms-simulator';
import { INSTANCE_ID, PROJECT_ID, TASK_ID, startHarness, type Harness } from '../support/harness';
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
  content: Record<string, unknown>;
}

const TASK_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID, task_id: TASK_ID };
const INSTANCE_PATH = { project_id: PROJECT_ID, instance_id: INSTANCE_ID };

const document = openApiDocument();
const declaredResponsesOf = (route: string) =>
  (document.paths as Record<string, { get: { responses: Record<string, ResponseObject> } }>)[route]!
    .get.responses;
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
function conformanceProblems(response: HttpResponse, route = GET_TASK_ROUTE): string[] {
  const status = String(response.statusCode);
  const declared = declaredResponsesOf(route)[status];
  if (!declared) return [`status ${status} is not declared for the route`];

  const problems: string[] = [];
  const headers = Object.fromEntries(
    Object.entries(response.headers ?? {}).map(([name, value]) => [
      name.toLowerCase(),
      String(value),
    ]),
  );

  const mediaType = headers['content-type'] ?? '(none)';
  if (!(mediaType in declared.content)) {
    problems.push(`${status}: content type ${mediaType} is not declared`);
  } else {
    const validate = compiler.responseBody(route, 'get', status, mediaType);
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

/** A real DynamoDB client whose status writes always lose to "another observer". */
function alwaysOutrunDynamoDb(): DynamoDBClient {
  const client = new DynamoDBClient({});
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName !== 'PutItemCommand') return next(args);
      return Promise.reject(
        new ConditionalCheckFailedException({ message: 'another observer won', $metadata: {} }),
      );
    },
    { step: 'initialize', name: 'alwaysOutrun' },
  );
  return client;
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
        dynamoDb: new DynamoDBClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 }),
      },
    }),
  ]);
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

const routeScenarios: RouteScenario[] = [
  ...scenarios.map((scenario) => ({ ...scenario, route: GET_TASK_ROUTE })),
  ...listScenarios.map((scenario) => ({ ...scenario, route: LIST_TASKS_ROUTE })),
  ...historyScenarios.map((scenario) => ({ ...scenario, route: TASK_HISTORY_ROUTE })),
];

it.each(routeScenarios)(
  'answers $name on $route with a $status response the document declares',
  async ({ route, status, respond }) => {
    const response = await respond();

    expect(response.statusCode).toBe(status);
    expect(conformanceProblems(response, route)).toEqual([]);
  },
);

it('passes a Retry-After on as the header the document declares for 503', async () => {
  harness.simulator.setFault({ kind: 'status', status: 429, retryAfter: '60' });

  const response = await harness.http(TASK_PATH);

  expect(response.headers?.['retry-after']).toBe('60');
  expect(declaredResponses['503']!.headers).toHaveProperty('Retry-After');
});

it.each([GET_TASK_ROUTE, LIST_TASKS_ROUTE, TASK_HISTORY_ROUTE])(
  'demonstrates every status the document declares for %s',
  (route) => {
    const demonstrated = new Set(
      routeScenarios.filter((s) => s.route === route).map(({ status }) => String(status)),
    );

    expect([...demonstrated].sort()).toEqual(Object.keys(declaredResponsesOf(route)).sort());
  },
);

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
