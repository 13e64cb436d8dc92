import type { HuaweiCredentials } from '../../lib/huawei/signer';

/**
 * Credentials used across the suite. They are distinctive on purpose: the leak guard fails any
 * test file whose logs, responses or errors contain one of these strings.
 */
export const TEST_CREDENTIALS: HuaweiCredentials = {
  accessKeyId: 'TESTAKLEAKCANARY0001',
  secretAccessKey: 'testSecretKeyLeakCanary0000000000000001',
};

export const TEMPORARY_CREDENTIALS: HuaweiCredentials = {
  accessKeyId: 'TESTAKLEAKCANARY0002',
  secretAccessKey: 'testSecretKeyLeakCanary0000000000000002',
  securityToken: 'testSecurityTokenLeakCanary-0002',
};

export const ROTATED_CREDENTIALS: HuaweiCredentials = {
  accessKeyId: 'TESTAKLEAKCANARY0003',
  secretAccessKey: 'testSecretKeyLeakCanary0000000000000003',
};

export const ALL_TEST_SECRETS: readonly string[] = [
  TEST_CREDENTIALS,
  TEMPORARY_CREDENTIALS,
  ROTATED_CREDENTIALS,
].flatMap((c) => [c.accessKeyId, c.secretAccessKey, ...(c.securityToken ? [c.securityToken] : [])]);

/** The SecretString stored in Secrets Manager for a set of credentials. */
export function secretString(credentials: HuaweiCredentials): string {
  return JSON.stringify({
    ak: credentials.accessKeyId,
    sk: credentials.secretAccessKey,
    ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
  });
}
