import type { Environment } from '../config';
import { ConfigurationError } from '../errors';

/** The function's own AWS credentials, as Lambda hands them over (the execution role's). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials, which Lambda's always are. */
  readonly sessionToken?: string;
}

function required(env: Environment, name: string, what: string): string {
  const value = env[name];
  // The message names the variable only: its value may be a secret.
  if (!value) throw new ConfigurationError(`${name} is not set (${what}).`);
  return value;
}

/**
 * Read once per cold start: Lambda sets these for the execution role and keeps them valid for
 * the life of the execution environment. A missing one is a deployment problem, told at start.
 */
export function awsCredentialsFromEnvironment(env: Environment): AwsCredentials {
  const accessKeyId = required(env, 'AWS_ACCESS_KEY_ID', 'AWS credentials');
  const secretAccessKey = required(env, 'AWS_SECRET_ACCESS_KEY', 'AWS credentials');
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
}

/** The region the function runs in; Lambda always sets it. */
export function awsRegionFromEnvironment(env: Environment): string {
  return required(env, 'AWS_REGION', 'AWS region');
}
