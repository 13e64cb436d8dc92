import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { ConfigurationError, DependencyUnavailableError } from '../errors';
import type { HuaweiCredentials } from './signer';

export interface CredentialsSource {
  get(): Promise<HuaweiCredentials>;
  /**
   * Called after Huawei rejected `rejected`: fetches anew, bypassing the cache, unless another
   * caller already replaced them (so a burst of 401s costs one fetch, not one each).
   */
  refreshAfterRejection(rejected: HuaweiCredentials): Promise<HuaweiCredentials>;
}

/**
 * Every value ends up in a request header (the SK only in the signature), and node throws on a
 * header it cannot encode: only printable ASCII is accepted. The AK also sits unquoted inside
 * `Authorization`, where a comma or space would corrupt the header, so it is held to the shape
 * Huawei issues (20 letters and digits) with room to spare. Lengths only rule out what cannot be
 * a key: a truncated paste, or a whole file pasted into one field.
 */
const FIELD_RULES = {
  ak: { pattern: /^[A-Za-z0-9]{8,128}$/, rule: 'a string of 8 to 128 letters and digits' },
  sk: {
    pattern: /^[\x21-\x7e]{16,256}$/,
    rule: 'a string of 16 to 256 printable ASCII characters without spaces',
  },
  securityToken: {
    pattern: /^[\x21-\x7e]{16,16384}$/,
    rule: 'absent, or a string of 16 to 16384 printable ASCII characters without spaces',
  },
} as const;

type SecretField = keyof typeof FIELD_RULES;

// trim(): a trailing line break is what a copy and paste into the console usually leaves.
const field = (name: SecretField) => z.string().check(z.trim(), z.regex(FIELD_RULES[name].pattern));

const secretSchema = z.object({
  ak: field('ak'),
  sk: field('sk'),
  securityToken: z.optional(field('securityToken')),
});

const CONFIGURATION_FAULTS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidRequestException',
  'InvalidParameterException',
]);

/** Parses the SecretString. Errors name the fields at fault, never the contents. */
export function parseHuaweiSecret(secretString: string | undefined): HuaweiCredentials {
  if (secretString === undefined) {
    throw new ConfigurationError('The Huawei Cloud secret has no SecretString.');
  }
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw new ConfigurationError('The Huawei Cloud secret is not JSON {"ak", "sk"}.');
  }
  const parsed = secretSchema.safeParse(json);
  if (!parsed.success) {
    // Our own wording per field, never zod's: an issue may one day quote the input.
    const problems = [...new Set(parsed.error.issues.map((issue) => issue.path[0]))].map((key) =>
      typeof key === 'string' && Object.hasOwn(FIELD_RULES, key)
        ? `${key} must be ${FIELD_RULES[key as SecretField].rule}`
        : 'the secret must be a JSON object',
    );
    throw new ConfigurationError(
      `The Huawei Cloud secret must be JSON {"ak", "sk", "securityToken"?}: ${problems.join('; ')}.`,
    );
  }
  const { ak, sk, securityToken } = parsed.data;
  return { accessKeyId: ak, secretAccessKey: sk, ...(securityToken ? { securityToken } : {}) };
}

interface Cached {
  readonly credentials: HuaweiCredentials;
  readonly expiresAt: number;
}

/** The last fetch failed: its error answers every caller until `retryAt`. */
interface Failed {
  readonly error: Error;
  readonly retryAt: number;
  readonly inARow: number;
}

/**
 * A poll asks for the credentials once per task: while Secrets Manager fails (or the secret is
 * unusable), one fetch answers them all for a while, a while that doubles with each failure in a
 * row. Capped so a recovered Secrets Manager is noticed within seconds.
 */
const FIRST_RETRY_AFTER_MS = 1_000;
const MAX_RETRY_AFTER_MS = 16_000;

/**
 * Huawei AK/SK from Secrets Manager, cached for `ttlMs` so a warm Lambda does not pay a fetch per
 * invocation; rotation is picked up at the latest after the TTL, or at once after a 401.
 * Concurrent callers share one fetch in flight, and a failed fetch answers for a backoff.
 */
export class SecretsManagerCredentials implements CredentialsSource {
  #cached: Cached | undefined;
  #inFlight: Promise<HuaweiCredentials> | undefined;
  #failed: Failed | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<HuaweiCredentials> {
    if (this.#cached && this.now() < this.#cached.expiresAt) return this.#cached.credentials;
    return this.#fetch();
  }

  async refreshAfterRejection(rejected: HuaweiCredentials): Promise<HuaweiCredentials> {
    const current = this.#cached?.credentials;
    if (current && !sameCredentials(current, rejected)) return current;
    if (this.#inFlight) return this.#inFlight;
    this.#cached = undefined;
    return this.#fetch();
  }

  /** Forgets the cached credentials and any failure (tests, or an operator forcing a reload). */
  clear(): void {
    this.#cached = undefined;
    this.#failed = undefined;
  }

  #fetch(): Promise<HuaweiCredentials> {
    const failed = this.#failed;
    if (failed && this.now() < failed.retryAt) return Promise.reject(failed.error);
    this.#inFlight ??= this.#load().then(
      (credentials) => {
        this.#inFlight = undefined;
        this.#failed = undefined;
        return credentials;
      },
      (error: Error) => {
        this.#inFlight = undefined;
        const inARow = (this.#failed?.inARow ?? 0) + 1;
        const wait = Math.min(MAX_RETRY_AFTER_MS, FIRST_RETRY_AFTER_MS * 2 ** (inARow - 1));
        this.#failed = { error, retryAt: this.now() + wait, inARow };
        throw error;
      },
    );
    return this.#inFlight;
  }

  async #load(): Promise<HuaweiCredentials> {
    let secretString: string | undefined;
    try {
      const output = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      secretString = output.SecretString;
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      if (CONFIGURATION_FAULTS.has(name)) {
        throw new ConfigurationError(
          `The Huawei Cloud secret (HUAWEICLOUD_SECRET_ID) cannot be read: ${name}.`,
        );
      }
      throw new DependencyUnavailableError('AWS Secrets Manager', error);
    }
    const credentials = parseHuaweiSecret(secretString);
    this.#cached = { credentials, expiresAt: this.now() + this.ttlMs };
    return credentials;
  }
}

function sameCredentials(a: HuaweiCredentials, b: HuaweiCredentials): boolean {
  return (
    a.accessKeyId === b.accessKeyId &&
    a.secretAccessKey === b.secretAccessKey &&
    a.securityToken === b.securityToken
  );
}
