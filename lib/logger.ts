import { Logger } from '@aws-lambda-powertools/logger';
import { SERVICE_NAME } from './metrics';

const SENSITIVE_KEY =
  /^(ak|sk|access_?key(_?id)?|secret(_?access_?key)?|security_?token|authorization|signature|x-security-token|password|secret_?string)$/i;
const SIGNATURE_IN_TEXT = /(Access=)[^,\s]+|(Signature=)[0-9a-f]+/gi;

/**
 * Last line of defence: our code never logs credentials, but an attribute named like one, or an
 * Authorization header value inside a string, is scrubbed before it is written.
 */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && SENSITIVE_KEY.test(key)) return '[REDACTED]';
  if (typeof value === 'string') {
    return value.replace(
      SIGNATURE_IN_TEXT,
      (_m, access?: string, sig?: string) => `${access ?? sig ?? ''}[REDACTED]`,
    );
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function createLogger(serviceName = SERVICE_NAME): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
}
