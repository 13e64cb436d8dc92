import * as z from 'zod/mini';
import packageJson from '../../package.json';
import { connectorTaskSchema } from '../connector-task';
import { ERROR_CODES, type ErrorCode } from '../errors';
import { taskResponseSchema } from './get-task';
import { connectorTaskListSchema } from './list-tasks';
import { TASK_HISTORY_ROUTE, historyQuerySchema, taskHistorySchema } from './task-history';
import { instancePathSchema, projectPathSchema, taskPathSchema } from './path-parameters';
import {
  INSTANCE_WATCH_ROUTE,
  PROJECT_WATCH_ROUTE,
  TASK_WATCH_ROUTE,
  WATCHES_ROUTE,
  watchListSchema,
  watchSchema,
} from './watch-routes';
import { RESPONSE_HEADERS, problemSchema } from './problem';

/*
 * The HTTP API's OpenAPI 3.1 document, built from the zod schemas the handler itself validates
 * and answers with. It is published as docs/openapi.json; a unit test fails when the checked-in
 * copy is stale and an integration test fails when the handler answers something it does not
 * declare.
 */

export const GET_TASK_ROUTE = '/v2/{project_id}/instances/{instance_id}/connector/tasks/{task_id}';
export const LIST_TASKS_ROUTE = '/v2/{project_id}/instances/{instance_id}/connector/tasks';

type HttpErrorCode = ErrorCode;
type HttpErrorStatus = (typeof ERROR_CODES)[HttpErrorCode];

/**
 * What each code means to a caller. Typed over every code so that a new one in `ERROR_CODES`
 * does not compile until it is documented here.
 */
const CODE_MEANINGS: Record<HttpErrorCode, string> = {
  INVALID_REQUEST:
    'A path parameter is missing or malformed; `invalidFields` names each one. Nothing was sent to Huawei Cloud, and the same request cannot succeed.',
  PROJECT_NOT_SERVED:
    'The project is not one this deployment serves (`HUAWEICLOUD_PROJECT_ID`). Nothing was sent to Huawei Cloud.',
  TASK_NOT_FOUND: 'Huawei Cloud reports no such Smart Connect task on the instance.',
  OBSERVATION_IN_PROGRESS:
    'Other observers kept recording status changes of this task while this request tried to record what it saw. Retry shortly.',
  INSTANCE_NOT_FOUND: 'Huawei Cloud reports no such Kafka instance in the project.',
  TASK_NOT_OBSERVED:
    'This service has no record of the task: it was never observed through this deployment. Nothing was sent to Huawei Cloud.',
  WATCH_NOT_FOUND:
    'No stored watch has this key: it was never put, or was deleted already. A `WATCHED_TASKS` entry is not a stored watch and cannot be deleted here.',
  CONFIGURATION_ERROR:
    'The deployment is misconfigured (an environment variable, or the Huawei Cloud credentials secret); an operator has to fix it.',
  CLOCK_SKEW:
    'Huawei Cloud refuses this service’s signatures because the clock of the host running it differs from Huawei Cloud’s by more than 15 minutes; an operator has to fix the clock. Nothing is retried.',
  TASK_LIST_TOO_LARGE:
    'The instance has more tasks than one response can hold (AWS Lambda answers at most 6 MB). No partial list is answered and no status was recorded; retrying cannot help. Read the tasks one by one with `getConnectorTask`.',
  INTERNAL_ERROR: 'Something unexpected failed; no details are disclosed. Quote `requestId`.',
  UPSTREAM_AUTH_FAILED:
    'Huawei Cloud rejected this service’s credentials, also after re-reading the secret.',
  UPSTREAM_FORBIDDEN: 'This service’s Huawei Cloud credentials lack permission to read the task.',
  UPSTREAM_REJECTED: 'Huawei Cloud refused the request for another reason.',
  UPSTREAM_UNAVAILABLE:
    'Huawei Cloud answered 5xx or the connection failed, on every attempt within the deadline.',
  UPSTREAM_CONTRACT_VIOLATION:
    'Huawei Cloud answered outside its API contract (not JSON, the wrong shape, too large, a redirect).',
  UPSTREAM_THROTTLED:
    'Huawei Cloud is throttling requests and waiting would not fit the deadline. `Retry-After` is set when Huawei said how long to wait.',
  DEPENDENCY_UNAVAILABLE:
    'An AWS dependency (Secrets Manager, DynamoDB) failed in a way a later request may not.',
  UPSTREAM_TIMEOUT:
    'Huawei Cloud did not answer within the time this invocation had left, across all attempts.',
};

const STATUS_SUMMARIES: Record<HttpErrorStatus, string> = {
  400: 'The request is invalid.',
  403: 'The project is not served by this deployment.',
  404: 'The task or its Kafka instance does not exist.',
  409: 'Other observers are recording changes of this task; retry shortly.',
  500: 'This service failed.',
  502: 'Huawei Cloud failed, refused the call or broke its contract.',
  503: 'Temporarily unavailable; try again later.',
  504: 'Huawei Cloud did not answer in time.',
};

/** What a route answers differently from the single-task route, where its wording would mislead. */
interface RouteWording {
  readonly meanings: Partial<Record<HttpErrorCode, string>>;
  readonly statusSummaries: Partial<Record<HttpErrorStatus, string>>;
}

const LIST_WORDING: RouteWording = {
  meanings: {
    INSTANCE_NOT_FOUND:
      'Huawei Cloud reports no such Kafka instance in the project (any 404 of its task list).',
    OBSERVATION_IN_PROGRESS:
      'Other observers kept recording status changes of a listed task while this request tried to record what it saw; the other tasks were recorded. Retry shortly.',
    UPSTREAM_FORBIDDEN:
      'This service’s Huawei Cloud credentials lack permission to list the instance’s tasks.',
    UPSTREAM_CONTRACT_VIOLATION:
      'Huawei Cloud answered outside its API contract on some page (not JSON, the wrong shape, too large, a redirect) or for any one task. No partial list is answered and no status was recorded.',
    UPSTREAM_TIMEOUT:
      'Not every page of the list arrived within the time this invocation had left, across all attempts. No partial list is answered and no status was recorded.',
  },
  statusSummaries: {
    404: 'The Kafka instance does not exist.',
    409: 'Other observers are recording changes of a listed task; retry shortly.',
  },
};

/** The codes each route can answer with: a code its handler cannot produce is not offered. */
const GET_TASK_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code) =>
    code !== 'TASK_LIST_TOO_LARGE' && code !== 'TASK_NOT_OBSERVED' && code !== 'WATCH_NOT_FOUND',
);
const LIST_TASKS_CODES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
  (code) => code !== 'TASK_NOT_FOUND' && code !== 'TASK_NOT_OBSERVED' && code !== 'WATCH_NOT_FOUND',
);
/** The watch routes read and write the watches table only: no Huawei code can come out of them. */
const LIST_WATCHES_CODES: ErrorCode[] = [
  'CONFIGURATION_ERROR',
  'INTERNAL_ERROR',
  'DEPENDENCY_UNAVAILABLE',
];
const PUT_WATCH_CODES: ErrorCode[] = [
  'INVALID_REQUEST',
  'PROJECT_NOT_SERVED',
  ...LIST_WATCHES_CODES,
];
const DELETE_WATCH_CODES: ErrorCode[] = [...PUT_WATCH_CODES, 'WATCH_NOT_FOUND'];

const WATCH_WORDING: RouteWording = {
  meanings: {
    INVALID_REQUEST:
      'A path parameter is malformed; `invalidFields` names each one. Nothing was stored, and the same request cannot succeed.',
    PROJECT_NOT_SERVED:
      'The project is not one this deployment serves (`HUAWEICLOUD_PROJECT_ID`): its poller could not watch it. Nothing was stored.',
    CONFIGURATION_ERROR:
      'The deployment is misconfigured (`WATCHES_TABLE_NAME`, `WATCHED_TASKS`, or the watches table does not exist); an operator has to fix it.',
    DEPENDENCY_UNAVAILABLE: 'DynamoDB failed in a way a later request may not.',
  },
  statusSummaries: {
    403: 'The project is not served by this deployment.',
    404: 'No stored watch has this key.',
    503: 'Temporarily unavailable; try again later.',
  },
};
/** The history route reads this service's tables only: no Huawei code can come out of it. */
const TASK_HISTORY_CODES: ErrorCode[] = [
  'INVALID_REQUEST',
  'PROJECT_NOT_SERVED',
  'TASK_NOT_OBSERVED',
  'CONFIGURATION_ERROR',
  'INTERNAL_ERROR',
  'DEPENDENCY_UNAVAILABLE',
];

const HISTORY_WORDING: RouteWording = {
  meanings: {
    INVALID_REQUEST:
      'A path or query parameter is malformed; `invalidFields` names each one. The same request cannot succeed.',
    PROJECT_NOT_SERVED: 'The project is not one this deployment serves (`HUAWEICLOUD_PROJECT_ID`).',
    DEPENDENCY_UNAVAILABLE: 'DynamoDB failed in a way a later request may not.',
  },
  statusSummaries: {
    404: 'This service has never observed the task.',
    503: 'Temporarily unavailable; try again later.',
  },
};

/**
 * API Gateway answers these itself, before the function runs, with its own `{"message": ...}`
 * JSON; they are documented in prose because no handler response can be tested against them.
 */
const GATEWAY_NOTES: Partial<Record<HttpErrorStatus, string>> = {
  403: 'API Gateway itself also answers 403 with `{"message":"Forbidden"}` (application/json, not a problem) when the request is not SigV4-signed, the signature is invalid, or the caller may not `execute-api:Invoke` the route.',
  500: 'API Gateway itself answers 500 with `{"message":"Internal Server Error"}` (application/json) when the function fails without answering: it crashed, timed out or could not be invoked.',
};

/** Status → the codes it carries, in `ERROR_CODES` order, statuses ascending. */
function codesByStatus(codes: readonly HttpErrorCode[]): Map<HttpErrorStatus, HttpErrorCode[]> {
  const byStatus = new Map<HttpErrorStatus, HttpErrorCode[]>();
  const statuses = [...new Set(codes.map((code) => ERROR_CODES[code]))].sort((a, b) => a - b);
  for (const status of statuses) {
    byStatus.set(
      status,
      codes.filter((code) => ERROR_CODES[code] === status),
    );
  }
  return byStatus;
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

/** 'strict-transport-security' → 'Strict-Transport-Security': how the headers are usually written. */
function headerName(lowercase: string): string {
  return lowercase.replace(
    /(^|-)([a-z])/g,
    (_, dash: string, letter: string) => `${dash}${letter.toUpperCase()}`,
  );
}

const HEADER_PURPOSES: Record<string, string> = {
  'cache-control': 'Every answer reflects Huawei Cloud at that moment: never cache it.',
};

/** Every response carries the same fixed headers; documenting their values lets a test hold them. */
function fixedHeaders(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(RESPONSE_HEADERS).map(([name, value]) => [
      headerName(name),
      {
        description: HEADER_PURPOSES[name] ?? 'Always this value.',
        required: true,
        schema: { type: 'string', const: value },
      },
    ]),
  );
}

function fixedHeaderRefs(): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(RESPONSE_HEADERS).map((name) => [headerName(name), headerRef(headerName(name))]),
  );
}

const COMPONENT_SCHEMAS: Record<string, z.ZodMiniType> = {
  ConnectorTask: connectorTaskSchema,
  ObservedConnectorTask: taskResponseSchema,
  TaskHistory: taskHistorySchema,
  ConnectorTaskList: connectorTaskListSchema,
  Watch: watchSchema,
  WatchList: watchListSchema,
  Problem: problemSchema,
};

/** One registry, so a schema used inside another (a task in the list) becomes a `$ref` to it. */
function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENT_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.keys(COMPONENT_SCHEMAS).map((name) => {
      // OpenAPI 3.1's dialect is JSON Schema 2020-12 already, so `$schema` only repeats it; the
      // `$id` would make the component's refs resolve against itself rather than the document.
      const body: Record<string, unknown> = { ...schemas[name] };
      delete body.$schema;
      delete body.$id;
      return [name, body];
    }),
  );
}

function parameters(
  schema:
    | typeof projectPathSchema
    | typeof instancePathSchema
    | typeof taskPathSchema
    | typeof historyQuerySchema,
  where: 'path' | 'query',
): unknown[] {
  const { properties = {}, required = [] } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
  }) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(properties).map(([name, { description, ...schema }]) => ({
    name,
    in: where,
    // OpenAPI requires path parameters to be required; the zod schema must agree.
    required: required.includes(name),
    description,
    schema,
  }));
}

function problemResponse(
  status: HttpErrorStatus,
  codes: readonly HttpErrorCode[],
  wording: RouteWording | undefined,
): unknown {
  const meaning = (code: HttpErrorCode) => wording?.meanings[code] ?? CODE_MEANINGS[code];
  const codeLines = codes.map((code) => `- \`${code}\`: ${meaning(code)}`);
  const summary = wording?.statusSummaries[status] ?? STATUS_SUMMARIES[status];
  const note = GATEWAY_NOTES[status];
  return {
    description: [summary, '', ...codeLines, ...(note ? ['', note] : [])].join('\n'),
    headers: {
      ...fixedHeaderRefs(),
      ...(codes.includes('UPSTREAM_THROTTLED') ? { 'Retry-After': headerRef('Retry-After') } : {}),
    },
    content: {
      'application/problem+json': {
        // Narrowed per status so the document says which codes each status carries.
        schema: {
          allOf: [
            schemaRef('Problem'),
            { type: 'object', properties: { status: { const: status }, code: { enum: codes } } },
          ],
        },
      },
    },
  };
}

function errorResponses(
  codes: readonly HttpErrorCode[],
  wording?: RouteWording,
): Record<string, unknown> {
  return Object.fromEntries(
    [...codesByStatus(codes)].map(([status, byStatus]) => [
      String(status),
      problemResponse(status, byStatus, wording),
    ]),
  );
}

/** PUT and DELETE of one kind of watch: the same contract at three depths of the path. */
function watchOperations(
  what: string,
  scope: string,
  pathSchema: typeof projectPathSchema | typeof instancePathSchema | typeof taskPathSchema,
): Record<string, unknown> {
  const watchResponse = (description: string) => ({
    description,
    headers: fixedHeaderRefs(),
    content: { 'application/json': { schema: schemaRef('Watch') } },
  });
  return {
    put: {
      operationId: `put${scope}Watch`,
      tags: ['Watches'],
      summary: `Watch ${what}`,
      description: [
        `Stores a watch of ${what}: the scheduled poller observes it from its next poll on, with no redeploy. Idempotent: putting a stored watch again changes nothing and answers it with 200. Nothing is sent to Huawei Cloud.`,
        '',
        GATEWAY_ANSWERS,
      ].join('\n'),
      parameters: parameters(pathSchema, 'path'),
      responses: {
        '200': watchResponse('The watch was stored already; it is answered as it is stored.'),
        '201': watchResponse('The watch is stored now.'),
        ...errorResponses(PUT_WATCH_CODES, WATCH_WORDING),
      },
    },
    delete: {
      operationId: `delete${scope}Watch`,
      tags: ['Watches'],
      summary: `Stop watching ${what}`,
      description: [
        `Deletes the stored watch of ${what}: the next poll no longer observes it through this watch (it still does when another watch or \`WATCHED_TASKS\` covers it). Nothing is sent to Huawei Cloud.`,
        '',
        GATEWAY_ANSWERS,
      ].join('\n'),
      parameters: parameters(pathSchema, 'path'),
      responses: {
        '204': { description: 'The watch is deleted.', headers: fixedHeaderRefs() },
        ...errorResponses(DELETE_WATCH_CODES, WATCH_WORDING),
      },
    },
  };
}

const GATEWAY_ANSWERS =
  'API Gateway answers some requests itself, before this operation runs, with `{"message": ...}` JSON rather than problem details: 403 when the request is not SigV4-signed or may not be invoked, 429 when the stage’s throttling limit is exceeded, and 5xx when the function cannot answer.';

/** The OpenAPI 3.1 document of the HTTP API. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Huawei DMS Connector Status API',
      version: packageJson.version,
      description: [
        'Reads Huawei Cloud DMS for Kafka Smart Connect tasks (one, or every task of an instance) through to Huawei Cloud and answers them in a stable, normalized shape; a status change seen on the way is recorded and published as an event.',
        '',
        'Errors are RFC 9457 problem details (`application/problem+json`); branch on `code`. Nothing is cacheable.',
      ].join('\n'),
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The API Gateway HTTP API of a deployment (its $default stage).',
        variables: {
          apiId: { default: 'abcdef1234', description: 'The HTTP API id of the deployment.' },
          region: { default: 'eu-west-1', description: 'The AWS region it is deployed in.' },
        },
      },
    ],
    security: [{ sigv4: [] }],
    tags: [
      { name: 'Connector tasks', description: 'Smart Connect tasks of DMS for Kafka.' },
      {
        name: 'Watches',
        description:
          'What the scheduled poller watches: `WATCHED_TASKS` (read-only) and the watches stored through these routes.',
      },
    ],
    paths: {
      [GET_TASK_ROUTE]: {
        get: {
          operationId: 'getConnectorTask',
          tags: ['Connector tasks'],
          summary: 'Read a Smart Connect task',
          description: [
            'Reads the task from Huawei Cloud (ShowConnectorTask) now, with retries within the invocation’s remaining time, and answers it normalized. Every call goes to Huawei Cloud; nothing is served from a cache.',
            '',
            GATEWAY_ANSWERS,
          ].join('\n'),
          parameters: parameters(taskPathSchema, 'path'),
          responses: {
            '200': {
              description: 'The task as Huawei Cloud reports it now.',
              headers: fixedHeaderRefs(),
              content: { 'application/json': { schema: schemaRef('ObservedConnectorTask') } },
            },
            ...errorResponses(GET_TASK_CODES),
          },
        },
      },
      [TASK_HISTORY_ROUTE]: {
        get: {
          operationId: 'getConnectorTaskHistory',
          tags: ['Connector tasks'],
          summary: 'Read the status transitions recorded for a Smart Connect task',
          description: [
            'Answers the status transitions this service recorded for the task (from every observation: HTTP reads, lists, polls, direct invocations), newest first, each with the time the task spent in the status before it. Nothing is sent to Huawei Cloud. Transitions expire after the deployment’s retention (`HISTORY_RETENTION_DAYS`, default 90 days).',
            '',
            GATEWAY_ANSWERS,
          ].join('\n'),
          parameters: [
            ...parameters(taskPathSchema, 'path'),
            ...parameters(historyQuerySchema, 'query'),
          ],
          responses: {
            '200': {
              description: 'A page of the task’s transitions, newest first.',
              headers: fixedHeaderRefs(),
              content: { 'application/json': { schema: schemaRef('TaskHistory') } },
            },
            ...errorResponses(TASK_HISTORY_CODES, HISTORY_WORDING),
          },
        },
      },
      [LIST_TASKS_ROUTE]: {
        get: {
          operationId: 'listConnectorTasks',
          tags: ['Connector tasks'],
          summary: 'List every Smart Connect task of an instance',
          description: [
            'Reads every page of the instance’s task list from Huawei Cloud (ListConnectorTasks) now, within the invocation’s remaining time, and answers all tasks normalized, each once. The status of every listed task is recorded as an observation, exactly as a read of the task would record it. The answer is the whole list or a problem, never part of it.',
            '',
            GATEWAY_ANSWERS,
          ].join('\n'),
          parameters: parameters(instancePathSchema, 'path'),
          responses: {
            '200': {
              description: 'Every task of the instance as Huawei Cloud lists them now.',
              headers: fixedHeaderRefs(),
              content: { 'application/json': { schema: schemaRef('ConnectorTaskList') } },
            },
            ...errorResponses(LIST_TASKS_CODES, LIST_WORDING),
          },
        },
      },
      [WATCHES_ROUTE]: {
        get: {
          operationId: 'listWatches',
          tags: ['Watches'],
          summary: 'List every watch',
          description: [
            'Answers everything the scheduled poller watches: the `WATCHED_TASKS` entries of the deployment (read-only) and every stored watch. Nothing is sent to Huawei Cloud.',
            '',
            GATEWAY_ANSWERS,
          ].join('\n'),
          responses: {
            '200': {
              description: 'Every watch.',
              headers: fixedHeaderRefs(),
              content: { 'application/json': { schema: schemaRef('WatchList') } },
            },
            ...errorResponses(LIST_WATCHES_CODES, WATCH_WORDING),
          },
        },
      },
      [PROJECT_WATCH_ROUTE]: watchOperations(
        'every Kafka instance of a project (instances discovered at each poll)',
        'Project',
        projectPathSchema,
      ),
      [INSTANCE_WATCH_ROUTE]: watchOperations(
        'every Smart Connect task of a Kafka instance (tasks discovered at each poll)',
        'Instance',
        instancePathSchema,
      ),
      [TASK_WATCH_ROUTE]: watchOperations('one Smart Connect task', 'Task', taskPathSchema),
    },
    components: {
      schemas: componentSchemas(),
      headers: {
        ...fixedHeaders(),
        'Retry-After': {
          description:
            'Seconds to wait before trying again, as Huawei Cloud asked; absent when it did not say.',
          required: false,
          schema: { type: 'integer', minimum: 0 },
        },
      },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 (IAM authorization): sign each request for service `execute-api` in the API’s region with credentials allowed `execute-api:Invoke` on the route.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}
