import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { HuaweiCredentials } from '../../lib/huawei/signer';
import { HuaweiDmsSimulator } from '../../test/simulator/huawei-dms-simulator';
import {
  awsClients,
  createHistoryTable,
  createStatusTable,
  createWatchesTable,
  type AwsClients,
} from '../../test/support/aws-resources';
import { startMoto } from '../../test/support/moto';
import { secretString } from '../../test/support/test-credentials';
import type { FunctionBundle } from './bundles';
import { CountingProxy } from './counting-proxy';
import type { Teardown } from './teardown';

/** The AK/SK the simulator accepts; stored in (moto's) Secrets Manager like the real one. */
export const BENCH_CREDENTIALS: HuaweiCredentials = {
  accessKeyId: 'BENCHAK0000000000001',
  secretAccessKey: 'benchSecretKey00000000000000000000000001',
};

/** Dummy credentials for moto: it does not check them, the SDKs only need some. */
const AWS_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIABENCHMARK0000000',
  AWS_SECRET_ACCESS_KEY: 'bench-dummy-secret-access-key-0000000000',
} as const;

export interface BenchEnvironment {
  readonly motoUrl: string;
  /** Every AWS call of the processes under test goes through it. */
  readonly proxy: CountingProxy;
  readonly simulator: HuaweiDmsSimulator;
  readonly clients: AwsClients;
  readonly secretArn: string;
  /** The status table (task and HEALTH# items). */
  readonly tableName: string;
  /** The stored watches (WATCHES_TABLE_NAME), empty unless a figure seeds it. */
  readonly watchesTableName: string;
  readonly historyTableName: string;
  readonly busName: string;
  /** A process environment as Lambda would give `bundle`, endpoints pointed at the emulators. */
  lambdaEnv(bundle: FunctionBundle, overrides?: Record<string, string>): Record<string, string>;
  /** The same AWS settings for a process that is not one of our functions (the SDK job). */
  plainEnv(overrides?: Record<string, string>): Record<string, string>;
}

function baseProcessEnv(): Record<string, string> {
  const env: Record<string, string> = { TZ: 'UTC', ...AWS_ENV };
  for (const name of ['PATH', 'HOME', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * moto_server, the counting proxy in front of it, the Huawei simulator, and the AWS resources the
 * functions need, all registered with `teardown`.
 */
export async function startEnvironment(
  teardown: Teardown,
  projectId: string,
): Promise<BenchEnvironment> {
  const moto = await startMoto();
  teardown.add('moto_server', () => moto.stop());
  const proxy = await CountingProxy.start(moto.endpoint);
  teardown.add('counting proxy', () => proxy.stop());
  const simulator = await HuaweiDmsSimulator.start({ credentials: [BENCH_CREDENTIALS] });
  teardown.add('Huawei DMS simulator', () => simulator.stop());

  // The benchmark's own setup calls go to moto directly, so the proxy only sees the code under test.
  Object.assign(process.env, AWS_ENV, { AWS_ENDPOINT_URL: moto.endpoint });
  const clients = awsClients();
  const busName = 'huawei-dms-connector-status-bench';
  const [secret, { tableName }, watchesTableName, historyTableName] = await Promise.all([
    clients.secretsManager.send(
      new CreateSecretCommand({
        Name: 'huawei-dms-ak-sk-bench',
        SecretString: secretString(BENCH_CREDENTIALS),
      }),
    ),
    createStatusTable(clients),
    createWatchesTable(clients, 'huawei-dms-connector-status-bench-watches'),
    createHistoryTable(clients, 'huawei-dms-connector-status-bench-status-history'),
    // No rule and no target on purpose: with a rule delivering to SQS, moto spends ~140 ms per
    // PutEvents call, which would be moto's cost, not ours.
    clients.eventBridge.send(new CreateEventBusCommand({ Name: busName })),
  ]);
  const secretArn = secret.ARN ?? '';

  // Only the variables the function is deployed with (a null in serverless.yml drops one), each
  // pointed at the resource created here.
  const resources: Record<string, string> = {
    STATUS_TABLE_NAME: tableName,
    WATCHES_TABLE_NAME: watchesTableName,
    HISTORY_TABLE_NAME: historyTableName,
    EVENT_BUS_NAME: busName,
  };
  const tableVariables = (bundle: FunctionBundle): Record<string, string> =>
    Object.fromEntries(
      Object.entries(resources).filter(([name]) => bundle.environment[name] !== undefined),
    );
  const awsFor = (): Record<string, string> => ({
    ...baseProcessEnv(),
    AWS_ENDPOINT_URL: proxy.url,
  });
  return {
    motoUrl: moto.endpoint,
    proxy,
    simulator,
    clients,
    secretArn,
    tableName,
    watchesTableName,
    historyTableName,
    busName,
    lambdaEnv(bundle, overrides = {}) {
      return {
        ...awsFor(),
        AWS_LAMBDA_FUNCTION_NAME: `huawei-dms-connector-status-ci-${bundle.name}`,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        ...bundle.environment,
        HUAWEICLOUD_SECRET_ID: secretArn,
        HUAWEICLOUD_ENDPOINT: simulator.url,
        HUAWEICLOUD_PROJECT_ID: projectId,
        ...tableVariables(bundle),
        ...overrides,
      };
    },
    plainEnv(overrides = {}) {
      return { ...awsFor(), ...overrides };
    },
  };
}
