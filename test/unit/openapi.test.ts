import { Validator } from '@seriousme/openapi-schema-validator';
import { ERROR_CODES } from '../../lib/errors';
import { GET_TASK_ROUTE, openApiDocument } from '../../lib/http/openapi';
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
const operation = (document.paths as Record<string, { get: Record<string, unknown> }>)[
  GET_TASK_ROUTE
]!.get;
const parameters = operation.parameters as Parameter[];
const responses = operation.responses as Record<string, Response>;

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

  for (const [status, response] of Object.entries(responses)) {
    for (const mediaType of Object.keys(response.content)) {
      expect(() => compiler.responseBody(GET_TASK_ROUTE, 'get', status, mediaType)).not.toThrow();
    }
  }
});

it('documents the route API Gateway routes to the handler', () => {
  expect(`GET ${GET_TASK_ROUTE}`).toBe(httpApiEvent.routeKey);
});

it('declares every path parameter of the route as required, with the pattern the handler enforces', () => {
  const patterns: Record<string, RegExp> = {
    project_id: ID_PATTERNS.projectId,
    instance_id: ID_PATTERNS.instanceId,
    task_id: ID_PATTERNS.taskId,
  };
  const templated = [...GET_TASK_ROUTE.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);

  expect(parameters.map((p) => p.name)).toEqual(templated);
  for (const parameter of parameters) {
    expect(parameter).toMatchObject({ in: 'path', required: true });
    expect(parameter.schema.pattern).toBe(patterns[parameter.name]!.source);
  }
});

it('declares every error code under its HTTP status, with its meaning', () => {
  for (const [code, status] of Object.entries(ERROR_CODES)) {
    const response = responses[String(status)];
    expect(response?.description).toContain(`\`${code}\`: `);
    expect(JSON.stringify(response?.content['application/problem+json'])).toContain(`"${code}"`);
  }
});

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
