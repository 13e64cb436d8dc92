/**
 * Properties of what `serverless package --stage ci` generates: the CloudFormation template and
 * the zips that would be deployed. Packaging runs offline; the AWS variables are dummies so that
 * no developer credentials are ever picked up.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { openApiDocument } from '../../lib/http/openapi';
import { METRIC, METRIC_DIMENSIONS, METRICS_NAMESPACE, SERVICE_NAME } from '../../lib/metrics';
import { BY_INSTANCE_INDEX } from '../../lib/status/status-store';
import { XRAY_TRACING_MODULE } from '../../lib/tracing';
import { FUNCTION_ZIP_BUDGET_BYTES } from './bundle-budget';
import { markedPackagesIn, startStacklessCloudFormation } from './bundle-contents';
import {
  asList,
  getAttArnOf,
  getAttOf,
  isObject,
  pathsOfString,
  policyStatements,
  refOf,
  resourcesOfType,
  wildcardGrants,
  type Resource,
  type Template,
} from './cloudformation';

/** What Lambda sets in every function's environment: its region and the execution role's keys. */
const LAMBDA_RUNTIME_ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'example-secret-access-key',
  AWS_SESSION_TOKEN: 'example-session-token',
};

const ROOT = join(__dirname, '..', '..');
const PACKAGE_TIMEOUT_MS = 180_000;
const EMULATOR_ENDPOINT = /^(AWS_ENDPOINT_URL(_[A-Z0-9_]+)?|HUAWEICLOUD_ENDPOINT)$/;
/** The functions serverless.yml defines, by logical id: each must be accounted for below. */
const FUNCTIONS = [
  'HttpLambdaFunction',
  'ListTasksLambdaFunction',
  'ScheduledLambdaFunction',
  'PollWorkerLambdaFunction',
  'InvokeLambdaFunction',
  'StatusStreamLambdaFunction',
  'TaskHistoryLambdaFunction',
  'WatchesLambdaFunction',
];
/** Those that observe tasks at Huawei (and so read the credentials secret). */
const OBSERVERS = FUNCTIONS.filter(
  (id) =>
    id !== 'StatusStreamLambdaFunction' &&
    id !== 'TaskHistoryLambdaFunction' &&
    id !== 'WatchesLambdaFunction',
);
const STREAM_MAPPING = 'StatusStreamEventSourceMappingDynamodbStatusTable';

let workDir: string;
let packageDir: string;
let templatePath: string;
let template: Template;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'dms-status-deploy-'));
  packageDir = join(workDir, 'package');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'packaging-only',
    AWS_SECRET_ACCESS_KEY: 'packaging-only',
  };
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete env[name];
  const result = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'serverless'),
    ['package', '--stage', 'ci', '--package', packageDir],
    { cwd: ROOT, env, encoding: 'utf8', timeout: PACKAGE_TIMEOUT_MS },
  );
  if (result.status !== 0) {
    throw new Error(
      `serverless package failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  templatePath = join(packageDir, 'cloudformation-template-update-stack.json');
  template = JSON.parse(readFileSync(templatePath, 'utf8')) as Template;
}, PACKAGE_TIMEOUT_MS + 10_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

const lambdaFunctions = () => resourcesOfType(template, 'AWS::Lambda::Function');

function property<T>(resource: Resource, name: string): T {
  return resource.Properties?.[name] as T;
}

function environmentOf(fn: Resource): Record<string, unknown> {
  return (
    property<{ Variables?: Record<string, unknown> } | undefined>(fn, 'Environment')?.Variables ??
    {}
  );
}

function roleOf(functionId: string): string {
  return getAttArnOf(property(template.Resources[functionId]!, 'Role')) ?? '(no role)';
}

function roleStatements(roleId: string) {
  return policyStatements(template).filter(({ where }) =>
    where.startsWith(`Resources.${roleId}.Properties.Policies`),
  );
}

function zipOf(fn: Resource): string {
  const code = property<{ S3Key: string }>(fn, 'Code');
  return join(packageDir, basename(code.S3Key));
}

interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeout?: number;
}

function run(command: string, args: string[], options: RunOptions): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error && 'code' in result.error && result.error.code === 'ENOENT') {
    throw new Error(`"${command}" is not installed or not on PATH; the deploy tests need it.`);
  }
  return result;
}

/**
 * Loads a function's bundled handler the way the Lambda runtime does at cold start: a fresh
 * `node`, only the given environment, and `require` of the file named by the handler setting.
 */
function coldStart(fn: Resource, environment: Record<string, unknown>): unknown {
  const extracted = join(workDir, 'extracted', basename(zipOf(fn), '.zip'));
  mkdirSync(extracted, { recursive: true });
  const unzip = run('unzip', ['-q', '-o', zipOf(fn), '-d', extracted], {});
  if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr}`);
  const handler = property<string>(fn, 'Handler');
  const file = join(extracted, `${handler.slice(0, handler.lastIndexOf('.'))}.js`);
  const probe = `
    let outcome;
    try {
      const loaded = require(process.argv[1]);
      outcome = { handler: typeof loaded.handler };
    } catch (error) {
      outcome = { error: error.name, message: error.message };
    }
    process.stdout.write(JSON.stringify(outcome), () => process.exit(0));`;
  const result = run(process.execPath, ['-e', probe, file], {
    env: {
      PATH: process.env.PATH,
      ...LAMBDA_RUNTIME_ENVIRONMENT,
      ...stringValues(resolveQueueUrls(environment)),
    },
    timeout: 30_000,
  });
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`no outcome from the cold start (exit ${result.status}):\n${result.stderr}`);
  }
}

/** What CloudFormation substitutes for `{ Ref: <queue> }`: the queue's URL. */
function resolveQueueUrls(environment: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => {
      const queue = template.Resources[refOf(value) ?? ''];
      if (queue?.Type !== 'AWS::SQS::Queue') return [name, value];
      const queueName = property<string>(queue, 'QueueName');
      return [name, `https://sqs.eu-west-1.amazonaws.com/123456789012/${queueName}`];
    }),
  );
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

it('cfn-lint passes on the template', () => {
  // From the repository root, so that .cfnlintrc applies.
  const result = run('cfn-lint', ['--', templatePath], { cwd: ROOT });

  expect(`${result.stdout}${result.stderr}`).toBe('');
  expect(result.status).toBe(0);
});

it('no IAM policy statement allows a wildcard action, resource or principal', () => {
  const statements = policyStatements(template);
  const wildcards = statements.flatMap(({ where, statement }) =>
    wildcardGrants(statement).map((grant) => `${where}: ${grant}`),
  );

  expect(statements.length).toBeGreaterThan(0);
  expect(wildcards).toEqual([]);
});

it('every function role writes logs only to its own function log group', () => {
  // The log group ARN CloudFormation returns ends in ":*", meaning that group's streams (named by
  // Lambda at run time); no other group matches it.
  const writes = lambdaFunctions().map(([id, fn]) => {
    const roleId = getAttArnOf(property(fn, 'Role')) ?? '(no role)';
    const resources = roleStatements(roleId)
      .filter(({ statement }) =>
        asList(statement.Action).some((a) => String(a).startsWith('logs:')),
      )
      .flatMap(({ statement }) => asList(statement.Resource))
      .map((resource) => {
        const logGroup = template.Resources[getAttArnOf(resource) ?? ''];
        return logGroup?.Type === 'AWS::Logs::LogGroup'
          ? property<string>(logGroup, 'LogGroupName')
          : JSON.stringify(resource);
      });
    return [id, resources];
  });

  expect(writes).toEqual(
    lambdaFunctions().map(([id, fn]) => [
      id,
      [`/aws/lambda/${property<string>(fn, 'FunctionName')}`],
    ]),
  );
});

it('every HTTP API route requires AWS_IAM authorization', () => {
  const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route');

  expect(routes.length).toBeGreaterThan(0);
  expect(routes.map(([id, route]) => [id, property(route, 'AuthorizationType')])).toEqual(
    routes.map(([id]) => [id, 'AWS_IAM']),
  );
});

it('the HTTP API routes exactly the operations the OpenAPI document declares', () => {
  const routed = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) =>
    property<string>(route, 'RouteKey'),
  );
  const documented = Object.entries(openApiDocument().paths as Record<string, object>).flatMap(
    ([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
  );

  expect(routed.sort()).toEqual(documented.sort());
});

it('every function runs under a role of its own, defined in the template', () => {
  const roles = lambdaFunctions().map(([, fn]) => getAttArnOf(property(fn, 'Role')));

  expect(lambdaFunctions().map(([id]) => id)).toEqual(expect.arrayContaining(FUNCTIONS));
  expect(lambdaFunctions()).toHaveLength(FUNCTIONS.length);
  expect(roles.map((role) => template.Resources[role ?? '']?.Type)).toEqual(
    roles.map(() => 'AWS::IAM::Role'),
  );
  expect(new Set(roles).size).toBe(roles.length);
});

it('no function has an emulator endpoint variable in stage ci', () => {
  const endpoints = lambdaFunctions().flatMap(([id, fn]) =>
    Object.keys(environmentOf(fn))
      .filter((name) => EMULATOR_ENDPOINT.test(name))
      .map((name) => `${id}.${name}`),
  );

  expect(lambdaFunctions().length).toBeGreaterThan(0);
  expect(endpoints).toEqual([]);
});

it('does not create the Huawei secret', () => {
  const secretResources = Object.values(template.Resources).filter((resource) =>
    resource.Type.startsWith('AWS::SecretsManager::'),
  );

  expect(secretResources).toEqual([]);
  expect(JSON.stringify(template)).not.toContain('SecretString');
});

it('names the Huawei secret by ARN only in the observer environments and read grants', () => {
  const secretArn = String(environmentOf(template.Resources[OBSERVERS[0]!]!).HUAWEICLOUD_SECRET_ID);
  const occurrences = pathsOfString(template, secretArn);
  const elsewhere = occurrences.filter(
    (path) =>
      !path.endsWith('.Properties.Environment.Variables.HUAWEICLOUD_SECRET_ID') &&
      !/\.PolicyDocument\.Statement\[\d+\]\.Resource$/.test(path),
  );
  const grantedActions = policyStatements(template)
    .filter(({ statement }) => asList(statement.Resource).includes(secretArn))
    .flatMap(({ statement }) => asList(statement.Action));

  expect(secretArn).toMatch(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-\w{6}$/);
  expect(
    OBSERVERS.map((id) => environmentOf(template.Resources[id]!).HUAWEICLOUD_SECRET_ID),
  ).toEqual(OBSERVERS.map(() => secretArn));
  expect(elsewhere).toEqual([]);
  expect(new Set(grantedActions)).toEqual(new Set(['secretsmanager:GetSecretValue']));
});

it('the stream consumer is told nothing about Huawei or the table, and may not read the secret', () => {
  const environment = environmentOf(template.Resources.StatusStreamLambdaFunction!);
  const secretArn = String(environmentOf(template.Resources[OBSERVERS[0]!]!).HUAWEICLOUD_SECRET_ID);
  const readsSecret = roleStatements(roleOf('StatusStreamLambdaFunction')).some(({ statement }) =>
    asList(statement.Resource).includes(secretArn),
  );

  expect(
    Object.keys(environment).filter((name) => /^(HUAWEICLOUD_|STATUS_TABLE)/.test(name)),
  ).toEqual([]);
  expect(environment).toMatchObject({
    EVENT_BUS_NAME: 'huawei-dms-connector-status-ci',
    STREAM_FAILURE_QUEUE_URL: { Ref: 'StreamFailureQueue' },
  });
  expect(readsSecret).toBe(false);
});

it('every table has point-in-time recovery and on-demand billing', () => {
  const tables = resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id, table]) => ({
    id,
    billing: property(table, 'BillingMode'),
    pitr: property(table, 'PointInTimeRecoverySpecification'),
  }));

  expect(tables).toEqual(
    ['StatusTable', 'StatusHistoryTable', 'WatchesTable'].map((id) => ({
      id,
      billing: 'PAY_PER_REQUEST',
      pitr: { PointInTimeRecoveryEnabled: true },
    })),
  );
});

it('the history table is keyed by task and sequence, and expires entries through expiresAt', () => {
  const table = template.Resources.StatusHistoryTable!;

  expect(property(table, 'KeySchema')).toEqual([
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sequence', KeyType: 'RANGE' },
  ]);
  expect(property(table, 'TimeToLiveSpecification')).toEqual({
    AttributeName: 'expiresAt',
    Enabled: true,
  });
});

it('the history route reads the history and the status item only, and is told nothing about Huawei', () => {
  const environment = environmentOf(template.Resources.TaskHistoryLambdaFunction!);
  const dynamoDb = roleStatements(roleOf('TaskHistoryLambdaFunction')).filter(({ statement }) =>
    asList(statement.Action).some((action) => String(action).startsWith('dynamodb:')),
  );

  expect(
    dynamoDb.map(({ statement }) => ({
      actions: asList(statement.Action),
      resources: asList(statement.Resource).map(getAttOf),
    })),
  ).toEqual([
    { actions: ['dynamodb:Query'], resources: ['StatusHistoryTable.Arn'] },
    { actions: ['dynamodb:GetItem'], resources: ['StatusTable.Arn'] },
  ]);
  expect(
    Object.keys(environment).filter((name) => /^(HUAWEICLOUD_(?!PROJECT_ID))/.test(name)),
  ).toEqual([]);
});

it('the watch routes read and write the watches table only, and are told nothing about Huawei', () => {
  const environment = environmentOf(template.Resources.WatchesLambdaFunction!);
  const dynamoDb = roleStatements(roleOf('WatchesLambdaFunction')).filter(({ statement }) =>
    asList(statement.Action).some((action) => String(action).startsWith('dynamodb:')),
  );

  expect(
    dynamoDb.map(({ statement }) => ({
      actions: [...asList(statement.Action)].sort(),
      resources: asList(statement.Resource).map(getAttOf),
    })),
  ).toEqual([
    {
      actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'],
      resources: ['WatchesTable.Arn'],
    },
  ]);
  expect(
    Object.keys(environment).filter((name) =>
      /^(HUAWEICLOUD_(?!PROJECT_ID)|STATUS_TABLE)/.test(name),
    ),
  ).toEqual([]);
  expect(environment).toMatchObject({
    WATCHES_TABLE_NAME: 'huawei-dms-connector-status-ci-watches',
  });
});

it('the scheduled poller may only scan the watches table; no other function but the routes may touch it', () => {
  const grants = policyStatements(template)
    .filter(({ statement }) =>
      asList(statement.Resource).map(getAttOf).includes('WatchesTable.Arn'),
    )
    .map(({ where, statement }) => ({
      role: where.split('.')[1],
      actions: [...asList(statement.Action)].sort(),
    }));

  expect(grants).toEqual([
    { role: 'WatchesRole', actions: expect.any(Array) as unknown },
    { role: 'ScheduledRole', actions: ['dynamodb:Scan'] },
  ]);
  expect(environmentOf(template.Resources.ScheduledLambdaFunction!).WATCHES_TABLE_NAME).toBe(
    'huawei-dms-connector-status-ci-watches',
  );
});

it('the watches table is keyed by the watch and protected like the status table', () => {
  const table = template.Resources.WatchesTable!;

  expect(property(table, 'KeySchema')).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
  expect(property(table, 'DeletionProtectionEnabled')).toBe(
    property(template.Resources.StatusTable!, 'DeletionProtectionEnabled'),
  );
});

it('the status table is keyed by pk and expires idempotency records through expiration', () => {
  const [[, table]] = resourcesOfType(template, 'AWS::DynamoDB::Table') as [[string, Resource]];

  expect(property(table, 'KeySchema')).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
  expect(property(table, 'TimeToLiveSpecification')).toEqual({
    AttributeName: 'expiration',
    Enabled: true,
  });
});

it('the status table has the index the status store queries, keyed by instanceKey', () => {
  const [[, table]] = resourcesOfType(template, 'AWS::DynamoDB::Table') as [[string, Resource]];
  const indexes = property<{ IndexName: string; KeySchema: unknown }[] | undefined>(
    table,
    'GlobalSecondaryIndexes',
  );

  expect(indexes?.map(({ IndexName, KeySchema }) => ({ IndexName, KeySchema }))).toEqual([
    {
      IndexName: BY_INSTANCE_INDEX,
      KeySchema: [{ AttributeName: 'instanceKey', KeyType: 'HASH' }],
    },
  ]);
});

it('every function runs nodejs22.x on arm64', () => {
  const runtimes = lambdaFunctions().map(([id, fn]) => [
    id,
    property(fn, 'Runtime'),
    property(fn, 'Architectures'),
  ]);

  expect(runtimes).toEqual(lambdaFunctions().map(([id]) => [id, 'nodejs22.x', ['arm64']]));
});

it('every log group has a retention period', () => {
  const unbounded = resourcesOfType(template, 'AWS::Logs::LogGroup')
    .filter(([, group]) => typeof property(group, 'RetentionInDays') !== 'number')
    .map(([id]) => id);

  expect(unbounded).toEqual([]);
});

it('every function sends asynchronous invocations that fail for good to the encrypted queue', () => {
  const configs = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig');
  const destinations = lambdaFunctions().map(([id, fn]) => {
    const config = configs.find(([, c]) => refOf(property(c, 'FunctionName')) === id)?.[1];
    const destination = config
      ? property<{ OnFailure?: { Destination?: unknown } }>(config, 'DestinationConfig')
      : undefined;
    const queueId = getAttArnOf(destination?.OnFailure?.Destination);
    const queue = template.Resources[queueId ?? ''];
    const roleId = getAttArnOf(property(fn, 'Role')) ?? '';
    const maySend = roleStatements(roleId).some(
      ({ statement }) =>
        asList(statement.Action).includes('sqs:SendMessage') &&
        asList(statement.Resource).some((resource) => getAttArnOf(resource) === queueId),
    );
    return {
      id,
      retries: config ? property(config, 'MaximumRetryAttempts') : undefined,
      queue: queue?.Type,
      encrypted: queue ? property(queue, 'SqsManagedSseEnabled') : undefined,
      maySend,
    };
  });

  expect(destinations).toEqual(
    lambdaFunctions().map(([id]) => ({
      id,
      retries: expect.any(Number),
      queue: 'AWS::SQS::Queue',
      encrypted: true,
      maySend: true,
    })),
  );
});

it('the fan-out queue takes batches from the poller only and feeds the worker only', () => {
  const grants = (action: string) =>
    policyStatements(template)
      .filter(
        ({ statement }) =>
          asList(statement.Action).includes(action) &&
          asList(statement.Resource).some((r) => getAttArnOf(r) === 'PollFanOutQueue'),
      )
      .map(({ where }) => where.split('.')[1]);
  const consumers = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
    .filter(([, mapping]) => getAttArnOf(property(mapping, 'EventSourceArn')) === 'PollFanOutQueue')
    .map(([, mapping]) => ({
      function: getAttArnOf(property(mapping, 'FunctionName')),
      responses: property(mapping, 'FunctionResponseTypes'),
    }));

  expect(grants('sqs:SendMessage')).toEqual(['ScheduledRole']);
  expect(grants('sqs:ReceiveMessage')).toEqual(['PollWorkerRole']);
  expect(consumers).toEqual([
    { function: 'PollWorkerLambdaFunction', responses: ['ReportBatchItemFailures'] },
  ]);
});

it('the poll schedule is disabled in stage ci', () => {
  const schedules = resourcesOfType(template, 'AWS::Events::Rule')
    .filter(([, rule]) => property(rule, 'ScheduleExpression') !== undefined)
    .map(([, rule]) => ({
      targets: asList(property(rule, 'Targets')).map((target) =>
        isObject(target) ? getAttArnOf(target.Arn) : undefined,
      ),
      state: property(rule, 'State'),
    }));

  expect(schedules).toEqual([{ targets: ['ScheduledLambdaFunction'], state: 'DISABLED' }]);
});

it('the poller-stopped alarm watches PollCompleted and exists only while polling is enabled', () => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
    ([, alarm]) => property(alarm, 'MetricName') === 'PollCompleted',
  );

  expect(
    alarms.map(([, alarm]) => ({
      condition: alarm.Condition,
      namespace: property(alarm, 'Namespace'),
      dimensions: property(alarm, 'Dimensions'),
      missingData: property(alarm, 'TreatMissingData'),
    })),
  ).toEqual([
    {
      condition: 'PollEnabled',
      namespace: 'HuaweiDmsConnectorStatus',
      dimensions: [{ Name: 'service', Value: 'huawei-dms-connector-status' }],
      missingData: 'breaching',
    },
  ]);
  expect(template.Conditions?.PollEnabled).toEqual({
    'Fn::Equals': [{ Ref: 'PollEnabled' }, 'true'],
  });
  expect(template.Parameters?.PollEnabled?.Default).toBe('false');
});

it('every function zip is within the bundle budget', () => {
  const overBudget = lambdaFunctions()
    .map(([id, fn]) => ({ id, bytes: statSync(zipOf(fn)).size }))
    .filter(({ bytes }) => bytes > FUNCTION_ZIP_BUDGET_BYTES);

  expect(lambdaFunctions().length).toBeGreaterThan(0);
  expect(overBudget).toEqual([]);
});

it('tracing is off by default: no active tracing, no layer, no X-Ray write access', () => {
  const traced = lambdaFunctions()
    .filter(([, fn]) => property(fn, 'TracingConfig') !== undefined)
    .map(([id]) => id);
  const withLayers = lambdaFunctions()
    .filter(([, fn]) => asList(property(fn, 'Layers')).length > 0)
    .map(([id]) => id);
  const withManagedPolicies = resourcesOfType(template, 'AWS::IAM::Role')
    .filter(([, role]) => asList(property(role, 'ManagedPolicyArns')).length > 0)
    .map(([id]) => id);

  expect({ traced, withLayers, withManagedPolicies }).toEqual({
    traced: [],
    withLayers: [],
    withManagedPolicies: [],
  });
  expect(resourcesOfType(template, 'AWS::Lambda::LayerVersion')).toEqual([]);
});

it("no function zip carries the tracing code or the SDK's credential chain; only the stream consumer carries the EventBridge client, only invoke the SDK's DynamoDB client", () => {
  const found = lambdaFunctions().map(([id, fn]) => [id, markedPackagesIn(zipOf(fn))]);

  expect(found).toEqual(
    lambdaFunctions().map(([id]) => [
      id,
      {
        StatusStreamLambdaFunction: ['@aws-sdk/client-eventbridge'],
        // Powertools Idempotency keeps its records through the SDK's client.
        InvokeLambdaFunction: ['@aws-sdk/client-dynamodb'],
      }[id] ?? [],
    ]),
  );
});

it('every bundled handler loads with its deployed environment', () => {
  // Stage ci deploys no watch list (polling is off); the poller needs one to start.
  const watchedTask = '59f6d088-1b2c-4d5e-8f90-123456789abc/194917d0-aaaa-4bbb-8ccc-0123456789ab';
  const outcomes = lambdaFunctions().map(([id, fn]) => {
    const environment = environmentOf(fn);
    const project = String(environment.HUAWEICLOUD_PROJECT_ID);
    return [id, coldStart(fn, { ...environment, WATCHED_TASKS: `${project}/${watchedTask}` })];
  });

  expect(outcomes).toEqual(lambdaFunctions().map(([id]) => [id, { handler: 'function' }]));
});

it('every bundled handler fails its cold start with a ConfigurationError naming the variable', () => {
  // A variable each function requires: the Huawei region for observers, the queue for the consumer.
  const broken = (id: string) =>
    OBSERVERS.includes(id)
      ? { name: 'HUAWEICLOUD_REGION', value: 'not a region' }
      : id === 'TaskHistoryLambdaFunction' || id === 'WatchesLambdaFunction'
        ? { name: 'HUAWEICLOUD_PROJECT_ID', value: 'not a project' }
        : { name: 'STREAM_FAILURE_QUEUE_URL', value: 'not a queue url' };
  const outcomes = lambdaFunctions().map(([id, fn]) => {
    const { name, value } = broken(id);
    return [id, coldStart(fn, { ...environmentOf(fn), [name]: value })];
  });

  expect(outcomes).toEqual(
    lambdaFunctions().map(([id]) => [
      id,
      { error: 'ConfigurationError', message: expect.stringContaining(broken(id).name) },
    ]),
  );
});

it('only the stream consumer may put events on the bus', () => {
  const publishers = policyStatements(template)
    .filter(({ statement }) =>
      asList(statement.Action).some((action) => /^events:(PutEvents|\*)$/.test(String(action))),
    )
    .map(({ where, statement }) => ({
      role: where.split('.')[1],
      resources: asList(statement.Resource).map(getAttOf),
    }));

  expect(publishers).toEqual([
    { role: roleOf('StatusStreamLambdaFunction'), resources: ['StatusEventBus.Arn'] },
  ]);
  expect(roleOf('StatusStreamLambdaFunction')).toBe('StatusStreamRole');
});

it('the status table streams new and old images', () => {
  const [[, table]] = resourcesOfType(template, 'AWS::DynamoDB::Table') as [[string, Resource]];

  expect(property(table, 'StreamSpecification')).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
});

it('the stream consumer role reads only the table stream, never the table, and writes only the history', () => {
  const dynamoDb = roleStatements('StatusStreamRole').filter(({ statement }) =>
    asList(statement.Action).some((action) => String(action).startsWith('dynamodb:')),
  );

  expect(
    dynamoDb.map(({ statement }) => ({
      actions: [...asList(statement.Action)].sort(),
      resources: asList(statement.Resource).map(getAttOf),
    })),
  ).toEqual([
    {
      actions: [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ],
      resources: ['StatusTable.StreamArn'],
    },
    { actions: ['dynamodb:BatchWriteItem'], resources: ['StatusHistoryTable.Arn'] },
  ]);
});

it('the stream mapping hands back only undelivered records, within bounds, and keeps the rest', () => {
  const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(
    ([, mapping]) => getAttOf(property(mapping, 'EventSourceArn')) === 'StatusTable.StreamArn',
  );
  const [[id, mapping]] = mappings as [[string, Resource]];
  const age = property<number>(mapping, 'MaximumRecordAgeInSeconds');
  const retries = property<number>(mapping, 'MaximumRetryAttempts');
  const filters = property<{ Filters: { Pattern: string }[] }>(mapping, 'FilterCriteria');
  const destination = property<{ OnFailure: { Destination: unknown } }>(
    mapping,
    'DestinationConfig',
  );

  expect(mappings).toHaveLength(1);
  expect(id).toBe(STREAM_MAPPING);
  expect(getAttArnOf(property(mapping, 'FunctionName'))).toBe('StatusStreamLambdaFunction');
  expect(property(mapping, 'StartingPosition')).toBe('TRIM_HORIZON');
  expect(property(mapping, 'FunctionResponseTypes')).toEqual(['ReportBatchItemFailures']);
  expect(property(mapping, 'BisectBatchOnFunctionError')).toBe(true);
  // One batch per shard at a time: each task's changes leave in stream order.
  expect(property(mapping, 'ParallelizationFactor')).toBe(1);
  // Bounded (-1 would retry until the record expires, unseen) and, for the age, with time left
  // within the stream's 24 h retention to redrive what the on-failure queue names.
  expect(retries).toBeGreaterThanOrEqual(0);
  expect(age).toBeGreaterThanOrEqual(60);
  expect(age).toBeLessThanOrEqual(12 * 3600);
  expect(getAttArnOf(destination.OnFailure.Destination)).toBe('StreamFailureQueue');
  expect(filters.Filters.map(({ Pattern }) => JSON.parse(Pattern) as unknown)).toEqual([
    {
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { pk: { S: [{ prefix: 'TASK#' }, { prefix: 'HEALTH#' }] } } },
    },
  ]);
});

it('the stream failure queue keeps 14 days, is encrypted, fed by the consumer only, and alarmed', () => {
  const queue = template.Resources.StreamFailureQueue!;
  const senders = policyStatements(template)
    .filter(
      ({ statement }) =>
        asList(statement.Action).includes('sqs:SendMessage') &&
        asList(statement.Resource).some((r) => getAttArnOf(r) === 'StreamFailureQueue'),
    )
    .map(({ where }) => where.split('.')[1]);
  const depthAlarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
    ([, alarm]) =>
      property(alarm, 'MetricName') === 'ApproximateNumberOfMessagesVisible' &&
      asList(property(alarm, 'Dimensions')).some(
        (dimension) =>
          isObject(dimension) && getAttOf(dimension.Value) === 'StreamFailureQueue.QueueName',
      ),
  );

  expect(queue.Type).toBe('AWS::SQS::Queue');
  expect(property(queue, 'MessageRetentionPeriod')).toBe(1_209_600);
  expect(property(queue, 'SqsManagedSseEnabled')).toBe(true);
  expect(senders).toEqual(['StatusStreamRole']);
  expect(depthAlarms.map(([, alarm]) => property(alarm, 'Threshold'))).toEqual([1]);
  expect(template.Outputs?.StreamFailureQueueUrl).toMatchObject({
    Value: { Ref: 'StreamFailureQueue' },
  });
});

it('the stream consumer has error and iterator-age alarms', () => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm')
    .filter(([, alarm]) =>
      asList(property(alarm, 'Dimensions')).some(
        (dimension) =>
          isObject(dimension) && refOf(dimension.Value) === 'StatusStreamLambdaFunction',
      ),
    )
    .map(([, alarm]) => ({
      metric: property(alarm, 'MetricName'),
      statistic: property(alarm, 'Statistic'),
    }));

  expect(alarms).toEqual(
    expect.arrayContaining([
      { metric: 'Errors', statistic: 'Sum' },
      { metric: 'IteratorAge', statistic: 'Maximum' },
    ]),
  );
});

/**
 * The dashboard's body as CloudFormation hands it to CloudWatch: `${AWS::Region}` becomes the
 * region and `${Resource}` / `${Resource.Attribute}` a stand-in naming it. A reference to anything
 * the template does not define is reported instead of substituted.
 */
function dashboardBody(): { body: unknown; unresolved: string[] } {
  const dashboards = resourcesOfType(template, 'AWS::CloudWatch::Dashboard');
  expect(dashboards.map(([id]) => id)).toEqual(['OperatorDashboard']);
  const sub = property<Record<string, unknown>>(dashboards[0]![1], 'DashboardBody')['Fn::Sub'];
  if (typeof sub !== 'string') throw new Error('DashboardBody is not an Fn::Sub of a string');
  const unresolved: string[] = [];
  const text = sub.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    if (name === 'AWS::Region') return 'eu-west-1';
    if (!(name.split('.')[0]! in template.Resources)) unresolved.push(name);
    return `<${name}>`;
  });
  return { body: JSON.parse(text) as unknown, unresolved };
}

interface ChartedMetric {
  readonly namespace: string;
  readonly name: string;
  /** Dimension names, with their values where the widget names one. */
  readonly dimensions: Record<string, string | null>;
}

/** Every metric the dashboard's metric widgets chart: listed ones and SEARCH expressions. */
function chartedMetrics(body: unknown): ChartedMetric[] {
  const widgets = isObject(body) ? asList(body.widgets) : [];
  return widgets.flatMap((widget) => {
    if (!isObject(widget) || widget.type !== 'metric' || !isObject(widget.properties)) return [];
    return asList(widget.properties.metrics).flatMap((entry): ChartedMetric[] => {
      const [first, ...rest] = asList(entry);
      if (typeof first === 'string') {
        const [name, ...pairs] = rest.filter((item): item is string => typeof item === 'string');
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
        return [{ namespace: first, name: name ?? '', dimensions }];
      }
      const expression = isObject(first) ? String(first.expression) : '';
      const search = /SEARCH\('\{([^}]+)\}([^']*)'/.exec(expression);
      if (!search) throw new Error(`not a metric or SEARCH expression: ${JSON.stringify(entry)}`);
      const [namespace, ...schema] = search[1]!.split(',');
      const terms = Object.fromEntries(
        [...search[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((term) => [term[1]!, term[2]!]),
      );
      const { MetricName: name, ...values } = terms;
      return [
        {
          namespace: namespace!,
          name: name ?? '',
          dimensions: Object.fromEntries(schema.map((dim) => [dim, values[dim] ?? null])),
        },
      ];
    });
  });
}

/** Every `.ts` file under lib/, with its text. */
function libSources(): { file: string; text: string }[] {
  const lib = join(ROOT, 'lib');
  return readdirSync(lib, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(join(lib, file), 'utf8') }));
}

it('the code emits its metrics only through the names lib/metrics.ts declares', () => {
  const literalNames = libSources().flatMap(({ file, text }) =>
    [...text.matchAll(/(addMetric|new DimensionedCounter)\(\s*(\w+\s*,\s*)?['"`]/g)].map(
      (match) => `${file}: ${match[0]}`,
    ),
  );

  expect(literalNames).toEqual([]);
});

it('the operator dashboard resolves to valid JSON referring only to resources of the stack', () => {
  const { body, unresolved } = dashboardBody();

  expect(unresolved).toEqual([]);
  expect(isObject(body) && asList(body.widgets).length).toBeGreaterThan(0);
  expect(property(template.Resources.OperatorDashboard!, 'DashboardName')).toBe(
    'huawei-dms-connector-status-ci',
  );
});

it('every metric of ours the dashboard charts is one the code emits, with its dimensions', () => {
  const ours = chartedMetrics(dashboardBody().body).filter(
    (metric) => metric.namespace === METRICS_NAMESPACE,
  );
  const emitted: readonly string[] = Object.values(METRIC);
  const dimensionOf = (name: string) =>
    (METRIC_DIMENSIONS as Partial<Record<string, string>>)[name];

  expect(ours.filter((metric) => !emitted.includes(metric.name))).toEqual([]);
  expect(
    ours.filter(({ name, dimensions }) => {
      const own = dimensionOf(name);
      const expected = own === undefined ? ['service'] : ['service', own];
      return (
        dimensions.service !== SERVICE_NAME ||
        Object.keys(dimensions).sort().join() !== expected.sort().join()
      );
    }),
  ).toEqual([]);
  // Each picture the README promises.
  expect(new Set(ours.map((metric) => metric.name))).toEqual(
    new Set([
      METRIC.PollTasksChecked,
      METRIC.PollTasksChanged,
      METRIC.PollTasksFailed,
      METRIC.StatusChanges,
      METRIC.StatusCommitConflicts,
      METRIC.StatusChangesByStatus,
      METRIC.TasksStuck,
      METRIC.TasksUnobservable,
      METRIC.HealthEventsSTUCK,
      METRIC.HealthEventsUNOBSERVABLE,
      METRIC.HealthEventsOBSERVABLE_AGAIN,
      METRIC.UpstreamLatency,
      METRIC.UpstreamOutcome,
      METRIC.PollCompleted,
    ]),
  );
});

it('the dashboard charts the stream consumer, the stream-failures queue and the poll duration', () => {
  const theirs = chartedMetrics(dashboardBody().body)
    .filter((metric) => metric.namespace !== METRICS_NAMESPACE)
    .map(({ namespace, name, dimensions }) => `${namespace} ${name} ${JSON.stringify(dimensions)}`);

  expect(new Set(theirs)).toEqual(
    new Set([
      'AWS/Lambda IteratorAge {"FunctionName":"<StatusStreamLambdaFunction>"}',
      'AWS/SQS ApproximateNumberOfMessagesVisible {"QueueName":"<StreamFailureQueue.QueueName>"}',
      'AWS/Lambda Duration {"FunctionName":"<ScheduledLambdaFunction>"}',
    ]),
  );
});

it("an alarm fires while any watched task is unobservable, with the other alarms' actions", () => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
    ([, alarm]) => property(alarm, 'MetricName') === METRIC.TasksUnobservable,
  );

  expect(
    alarms.map(([id, alarm]) => ({
      id,
      namespace: property(alarm, 'Namespace'),
      dimensions: property(alarm, 'Dimensions'),
      statistic: property(alarm, 'Statistic'),
      comparison: property(alarm, 'ComparisonOperator'),
      threshold: property(alarm, 'Threshold'),
      missingData: property(alarm, 'TreatMissingData'),
      actions: property(alarm, 'AlarmActions'),
      okActions: property(alarm, 'OKActions'),
    })),
  ).toEqual([
    {
      id: 'TasksUnobservableAlarm',
      namespace: METRICS_NAMESPACE,
      dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: 0,
      missingData: 'notBreaching',
      actions: property(template.Resources.HttpErrorsAlarm!, 'AlarmActions'),
      okActions: property(template.Resources.HttpErrorsAlarm!, 'AlarmActions'),
    },
  ]);
  expect(property(template.Resources.HttpErrorsAlarm!, 'AlarmActions')).toEqual({
    'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }],
  });
});

/**
 * The same service packaged with `--param tracing=true`. After the checks above, not beside them:
 * two packagings at once would share serverless-esbuild's work folder.
 */
describe('with the tracing param on', () => {
  const LAYER = 'XrayTracingLambdaLayer';
  let tracingDir: string;
  let tracingTemplate: Template;

  beforeAll(async () => {
    tracingDir = join(workDir, 'package-tracing');
    const cloudFormation = await startStacklessCloudFormation();
    try {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'packaging-only',
        AWS_SECRET_ACCESS_KEY: 'packaging-only',
        AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url,
      };
      for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']) delete env[name];
      const child = spawn(
        join(ROOT, 'node_modules', '.bin', 'serverless'),
        ['package', '--stage', 'ci', '--param', 'tracing=true', '--package', tracingDir],
        { cwd: ROOT, env, timeout: PACKAGE_TIMEOUT_MS },
      );
      const output: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
      const code = await new Promise<number | null>((done) => child.once('close', done));
      if (code !== 0) {
        throw new Error(
          `serverless package --param tracing=true failed (exit ${code}):\n${Buffer.concat(output).toString()}`,
        );
      }
    } finally {
      cloudFormation.server.close();
    }
    tracingTemplate = JSON.parse(
      readFileSync(join(tracingDir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
  }, PACKAGE_TIMEOUT_MS + 10_000);

  const functions = () => resourcesOfType(tracingTemplate, 'AWS::Lambda::Function');
  const artifact = (s3Key: string) => join(tracingDir, basename(s3Key));
  const layerZip = () =>
    artifact(property<{ S3Key: string }>(tracingTemplate.Resources[LAYER]!, 'Content').S3Key);

  it('every function runs with active tracing and the tracing layer', () => {
    expect(
      functions().map(([id, fn]) => [id, property(fn, 'TracingConfig'), property(fn, 'Layers')]),
    ).toEqual(functions().map(([id]) => [id, { Mode: 'Active' }, [{ Ref: LAYER }]]));
    expect(functions()).toHaveLength(FUNCTIONS.length);
  });

  it("the layer is made for the functions' runtime and architecture", () => {
    const layer = tracingTemplate.Resources[LAYER]!;

    expect(layer.Type).toBe('AWS::Lambda::LayerVersion');
    for (const [, fn] of functions()) {
      expect(property<string[]>(layer, 'CompatibleRuntimes')).toContain(property(fn, 'Runtime'));
      expect(property<string[]>(layer, 'CompatibleArchitectures')).toEqual(
        property(fn, 'Architectures'),
      );
    }
  });

  it('every function role may send traces (the AWS managed X-Ray write policy)', () => {
    const roles = functions().map(([, fn]) => getAttArnOf(property(fn, 'Role'))!);

    expect(
      roles.map((role) => [role, property(tracingTemplate.Resources[role]!, 'ManagedPolicyArns')]),
    ).toEqual(
      roles.map((role) => [
        role,
        [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess' }],
      ]),
    );
  });

  it('the layer holds the tracing code as the package lib/tracing.ts loads; the function zips still do not', () => {
    const listing = run('unzip', ['-Z1', layerZip()], {});

    expect(listing.stdout.trim().split('\n')).toEqual([
      `nodejs/node_modules/${XRAY_TRACING_MODULE}/index.js`,
    ]);
    expect(markedPackagesIn(layerZip())).toEqual([
      '@aws-lambda-powertools/tracer',
      'aws-xray-sdk-core',
    ]);
    expect(
      functions()
        .flatMap(([, fn]) =>
          markedPackagesIn(artifact(property<{ S3Key: string }>(fn, 'Code').S3Key)),
        )
        .sort(),
    ).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/client-eventbridge']);
  });

  /**
   * A cold start under active tracing, the layer extracted where NODE_PATH points as Lambda's
   * /opt/nodejs/node_modules is: whether the handler loaded the layer's package, and what it
   * logged about tracing.
   */
  function coldStartTraced(withLayer: boolean): {
    handler: string;
    layerLoaded: boolean;
    log: string;
  } {
    const [id, fn] = functions().find(([name]) => name === 'HttpLambdaFunction')!;
    const extracted = join(workDir, 'extracted-tracing');
    for (const zip of [artifact(property<{ S3Key: string }>(fn, 'Code').S3Key), layerZip()]) {
      const unzip = run('unzip', ['-q', '-o', zip, '-d', extracted], {});
      if (unzip.status !== 0) throw new Error(`unzip failed for ${id}: ${unzip.stderr}`);
    }
    const handler = property<string>(fn, 'Handler');
    const file = join(extracted, `${handler.slice(0, handler.lastIndexOf('.'))}.js`);
    const probe = `
      const loaded = require(process.argv[1]);
      const layerLoaded = Object.keys(require.cache).some((path) => path.includes('/nodejs/node_modules/${XRAY_TRACING_MODULE}/'));
      process.stdout.write('\\n' + JSON.stringify({ handler: typeof loaded.handler, layerLoaded }), () => process.exit(0));`;
    const result = run(process.execPath, ['-e', probe, file], {
      env: {
        PATH: process.env.PATH,
        ...LAMBDA_RUNTIME_ENVIRONMENT,
        AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
        ...(withLayer ? { NODE_PATH: join(extracted, 'nodejs', 'node_modules') } : {}),
        ...stringValues(environmentOf(fn)),
      },
      timeout: 30_000,
    });
    const lines = result.stdout.trim().split('\n');
    try {
      const outcome = JSON.parse(lines.pop()!) as { handler: string; layerLoaded: boolean };
      return { ...outcome, log: [...lines, result.stderr].join('\n') };
    } catch {
      throw new Error(`no outcome from the cold start (exit ${result.status}):\n${result.stderr}`);
    }
  }

  it('a handler under active tracing loads the tracing code from the layer', () => {
    const outcome = coldStartTraced(true);

    expect(outcome).toEqual({ handler: 'function', layerLoaded: true, log: expect.any(String) });
    expect(outcome.log).not.toContain('X-Ray tracing is off');
  });

  it('a handler under active tracing without the layer starts untraced and says why', () => {
    const outcome = coldStartTraced(false);

    expect(outcome).toEqual({
      handler: 'function',
      layerLoaded: false,
      log: expect.stringContaining('X-Ray tracing is off'),
    });
  });
});
