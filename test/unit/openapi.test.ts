import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_CODES, type ErrorCode } from '../../lib/errors';
import { GET_TASK_ROUTE, LIST_TASKS_ROUTE, openApiDocument } from '../../lib/http/openapi';
import { TASK_HISTORY_ROUTE } from '../../lib/http/task-history';
import { ID_PATTERNS } from '../../lib/task-ref';
import httpApiEvent from '../fixtures/http-api-event.json';
import { openApiSchemaCompiler } from '../support/openapi-schemas';
import packageJson from '../../package.json';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  schema: { pattern?: string };
}

interface Response {
  description: string;
  content: Record<string, { schema: unknown }>;
}

const document = openApiDocument();
const operationOf = (route: string) =>
  (document.paths as Record<string, { get: Record<string, unknown> }>)[route]!.get;
const parametersOf = (route: string) => operationOf(route).parameters as Parameter[];
const responsesOf = (route: string) => operationOf(route).responses as Record<string, Response>;
const responses = responsesOf(GET_TASK_ROUTE);
const ROUTES = [GET_TASK_ROUTE, LIST_TASKS_ROUTE];
/** What each route's handler can answer with: no task in the list's path, no list in the task's. */
const allBut = (...never: ErrorCode[]) =>
  (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => !never.includes(code));
const ROUTE_CODES: [route: string, codes: ErrorCode[], never: ErrorCode[]][] = [
  [
    GET_TASK_ROUTE,
    allBut('TASK_LIST_TOO_LARGE', 'TASK_NOT_OBSERVED', 'WATCH_NOT_FOUND'),
    ['TASK_LIST_TOO_LARGE', 'TASK_NOT_OBSERVED', 'WATCH_NOT_FOUND'],
  ],
  [
    LIST_TASKS_ROUTE,
    allBut('TASK_NOT_FOUND', 'TASK_NOT_OBSERVED', 'WATCH_NOT_FOUND'),
    ['TASK_NOT_FOUND', 'TASK_NOT_OBSERVED', 'WATCH_NOT_FOUND'],
  ],
  [
    TASK_HISTORY_ROUTE,
    [
      'INVALID_REQUEST',
      'PROJECT_NOT_SERVED',
      'TASK_NOT_OBSERVED',
      'CONFIGURATION_ERROR',
      'INTERNAL_ERROR',
      'DEPENDENCY_UNAVAILABLE',
    ],
    ['TASK_NOT_FOUND', 'INSTANCE_NOT_FOUND', 'UPSTREAM_TIMEOUT', 'OBSERVATION_IN_PROGRESS'],
  ],
];

async function openApiErrors(candidate: Record<string, unknown>) {
  const result = await new Validator().validate(candidate);
  return result.valid ? [] : result.errors;
}

it('is a valid OpenAPI 3.1 document', async () => {
  expect(document.openapi).toBe('3.1.0');
  expect(await openApiErrors(document)).toEqual([]);
});

it('would be reported invalid if it broke the OpenAPI schema', async () => {
  // Guards the test above: a validator that accepts anything would pass it too.
  const broken = { ...document, info: { title: 'no version' } };

  expect(await openApiErrors(broken)).not.toEqual([]);
});

it('declares only schemas that compile as strict JSON Schema 2020-12', () => {
  // The OpenAPI schema checks the document's structure but takes any object as a Schema Object.
  const compiler = openApiSchemaCompiler(document);

  for (const route of ROUTES) {
    for (const [status, response] of Object.entries(responsesOf(route))) {
      for (const mediaType of Object.keys(response.content)) {
        expect(() => compiler.responseBody(route, 'get', status, mediaType)).not.toThrow();
      }
    }
  }
});

it('documents the route API Gateway routes to the handler', () => {
  expect(`GET ${GET_TASK_ROUTE}`).toBe(httpApiEvent.routeKey);
});

it.each(ROUTES)(
  'declares every path parameter of %s as required, with the pattern the handler enforces',
  (route) => {
    const patterns: Record<string, RegExp> = {
      project_id: ID_PATTERNS.projectId,
      instance_id: ID_PATTERNS.instanceId,
      task_id: ID_PATTERNS.taskId,
    };
    const templated = [...route.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    const parameters = parametersOf(route);

    expect(parameters.map((p) => p.name)).toEqual(templated);
    for (const parameter of parameters) {
      expect(parameter).toMatchObject({ in: 'path', required: true });
      expect(parameter.schema.pattern).toBe(patterns[parameter.name]!.source);
    }
  },
);

it.each(ROUTE_CODES)(
  'declares every code %s can answer under its HTTP status, with its meaning',
  (route, codes) => {
    for (const code of codes) {
      const response = responsesOf(route)[String(ERROR_CODES[code])];
      expect(response?.description).toContain(`\`${code}\`: `);
      expect(JSON.stringify(response?.content['application/problem+json'])).toContain(`"${code}"`);
    }
  },
);

it.each(ROUTE_CODES)(
  'does not offer %s a code its handler cannot answer',
  (route, _codes, never) => {
    for (const code of never) expect(JSON.stringify(responsesOf(route))).not.toContain(code);
  },
);

it('offers 409 on the HTTP route: other observers kept winning the conditional write', () => {
  expect(responses['409']?.description).toContain('`OBSERVATION_IN_PROGRESS`: ');
});

it('is versioned with the package', () => {
  expect((document.info as { version: string }).version).toBe(packageJson.version);
});

it('requires SigV4 (IAM) authorization for every operation', () => {
  expect(document.security).toEqual([{ sigv4: [] }]);
  expect(
    (document.components as { securitySchemes: Record<string, unknown> }).securitySchemes.sigv4,
  ).toMatchObject({ type: 'apiKey', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' });
});
