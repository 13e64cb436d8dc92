import { loadConfig } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';

const PROJECT = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const OTHER_PROJECT = 'aaaabbbbccccddddeeeeffff00001111';

const valid = {
  HUAWEICLOUD_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:huawei-aksk',
  HUAWEICLOUD_REGION: 'cn-north-4',
  HUAWEICLOUD_PROJECT_ID: PROJECT,
  STATUS_TABLE_NAME: 'connector-status',
};

function configError(env: Record<string, string | undefined>): ConfigurationError {
  try {
    loadConfig(env);
  } catch (error) {
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('loadConfig', () => {
  it('derives the regional DMS endpoint from HUAWEICLOUD_REGION', () => {
    expect(loadConfig(valid).huawei.baseUrl.href).toBe('https://dms.cn-north-4.myhuaweicloud.com/');
  });

  it('uses the .eu domain for eu-west-101', () => {
    const config = loadConfig({ ...valid, HUAWEICLOUD_REGION: 'eu-west-101' });

    expect(config.huawei.baseUrl.href).toBe('https://dms.eu-west-101.myhuaweicloud.eu/');
  });

  it('applies documented defaults', () => {
    const config = loadConfig(valid);

    expect(config.secretCacheTtlMs).toBe(300_000);
    expect(config.upstream).toEqual({
      attemptTimeoutMs: 3_000,
      maxAttempts: 3,
      maxResponseBytes: 1_048_576,
      maxRequestsPerSecond: 50,
      defaultDeadlineMs: 10_000,
    });
  });

  it('reads several comma-separated projects and has no default project then', () => {
    const config = loadConfig({ ...valid, HUAWEICLOUD_PROJECT_ID: `${PROJECT}, ${OTHER_PROJECT}` });

    expect([...config.huawei.projectIds]).toEqual([PROJECT, OTHER_PROJECT]);
    expect(config.huawei.defaultProjectId).toBeUndefined();
  });

  it('uses the only project as the default project', () => {
    expect(loadConfig(valid).huawei.defaultProjectId).toBe(PROJECT);
  });

  it.each([
    ['HUAWEICLOUD_SECRET_ID', undefined],
    ['HUAWEICLOUD_REGION', 'north-pole'],
    ['HUAWEICLOUD_PROJECT_ID', 'not-a-project'],
    ['HUAWEICLOUD_PROJECT_ID', ''],
    ['STATUS_TABLE_NAME', undefined],
    ['UPSTREAM_MAX_ATTEMPTS', '0'],
    ['SECRET_CACHE_TTL_SECONDS', 'soon'],
  ])('names %s when it is %p', (name, value) => {
    const error = configError({ ...valid, [name]: value });

    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(name);
  });

  it('accepts an https endpoint override', () => {
    const config = loadConfig({ ...valid, HUAWEICLOUD_ENDPOINT: 'https://dms.example.internal' });

    expect(config.huawei.baseUrl.href).toBe('https://dms.example.internal/');
  });

  it('accepts plain http for a loopback simulator', () => {
    const config = loadConfig({ ...valid, HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:18080' });

    expect(config.huawei.baseUrl.host).toBe('127.0.0.1:18080');
  });

  it.each([
    'http://dms.example.com',
    'https://user:pass@dms.example.com',
    'https://dms.example.com/v2',
    'https://dms.example.com/?x=1',
    'not a url',
  ])('refuses the endpoint override %s', (endpoint) => {
    const error = configError({ ...valid, HUAWEICLOUD_ENDPOINT: endpoint });

    expect(error.message).toContain('HUAWEICLOUD_ENDPOINT');
  });

  // zod/mini has no locale of its own: these are the words lib/zod-locale.ts puts back.
  it.each([
    [{ UPSTREAM_MAX_ATTEMPTS: '11' }, 'UPSTREAM_MAX_ATTEMPTS Too big: expected number to be <=10'],
    [{ UPSTREAM_MAX_ATTEMPTS: '0' }, 'UPSTREAM_MAX_ATTEMPTS Too small: expected number to be >=1'],
    [
      { HUAWEICLOUD_REGION: undefined },
      'HUAWEICLOUD_REGION Invalid input: expected string, received undefined',
    ],
  ])('says in words what is wrong with %o', (change, problem) => {
    expect(configError({ ...valid, ...change }).message).toBe(`Invalid configuration: ${problem}`);
  });

  it('never echoes a variable value in its error', () => {
    const error = configError({ ...valid, HUAWEICLOUD_PROJECT_ID: 'CANARY-VALUE' });

    expect(error.message).not.toContain('CANARY-VALUE');
  });
});
