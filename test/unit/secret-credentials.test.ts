import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, DependencyUnavailableError } from '../../lib/errors';
import { SecretsManagerCredentials, parseHuaweiSecret } from '../../lib/huawei/secret-credentials';
import {
  ROTATED_CREDENTIALS,
  TEMPORARY_CREDENTIALS,
  TEST_CREDENTIALS,
  secretString,
} from '../support/test-credentials';

function setup(answers: (string | Error)[]) {
  let now = 0;
  let fetches = 0;
  const client = {
    send: () => {
      fetches += 1;
      const answer = answers.length > 1 ? answers.shift() : answers[0];
      return answer instanceof Error
        ? Promise.reject(answer)
        : Promise.resolve({ SecretString: answer });
    },
  } as unknown as SecretsManagerClient;
  const credentials = new SecretsManagerCredentials(client, 'secret', 60_000, () => now);
  return {
    credentials,
    fetches: () => fetches,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function named(name: string): Error {
  return Object.assign(new Error('from AWS'), { name });
}

describe('parseHuaweiSecret', () => {
  it('reads ak and sk', () => {
    expect(parseHuaweiSecret(secretString(TEST_CREDENTIALS))).toEqual(TEST_CREDENTIALS);
  });

  it('reads the security token of temporary credentials', () => {
    expect(parseHuaweiSecret(secretString(TEMPORARY_CREDENTIALS))).toEqual(TEMPORARY_CREDENTIALS);
  });

  it.each([
    ['not JSON', 'ak=x'],
    ['missing sk', JSON.stringify({ ak: TEST_CREDENTIALS.accessKeyId })],
    ['empty ak', JSON.stringify({ ak: '', sk: TEST_CREDENTIALS.secretAccessKey })],
    ['an array', '[]'],
  ])('refuses %s with a ConfigurationError that does not echo the secret', (_case, secret) => {
    let error: unknown;
    try {
      parseHuaweiSecret(secret);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).not.toContain(TEST_CREDENTIALS.accessKeyId);
    expect((error as Error).message).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });
});

describe('SecretsManagerCredentials', () => {
  it('fetches once and serves warm invocations from the cache', async () => {
    const { credentials, fetches } = setup([secretString(TEST_CREDENTIALS)]);

    await credentials.get();
    await credentials.get();

    expect(fetches()).toBe(1);
  });

  it('fetches again once the TTL has passed', async () => {
    const { credentials, fetches, advance } = setup([
      secretString(TEST_CREDENTIALS),
      secretString(ROTATED_CREDENTIALS),
    ]);
    await credentials.get();

    advance(60_001);
    const second = await credentials.get();

    expect(fetches()).toBe(2);
    expect(second).toEqual(ROTATED_CREDENTIALS);
  });

  it('shares one fetch between concurrent callers', async () => {
    const { credentials, fetches } = setup([secretString(TEST_CREDENTIALS)]);

    await Promise.all([credentials.get(), credentials.get(), credentials.get()]);

    expect(fetches()).toBe(1);
  });

  it('bypasses the cache after a rejection', async () => {
    const { credentials, fetches } = setup([
      secretString(TEST_CREDENTIALS),
      secretString(ROTATED_CREDENTIALS),
    ]);
    const first = await credentials.get();

    const refreshed = await credentials.refreshAfterRejection(first);

    expect(refreshed).toEqual(ROTATED_CREDENTIALS);
    expect(fetches()).toBe(2);
  });

  it('costs one fetch for a burst of rejections of the same credentials', async () => {
    const { credentials, fetches } = setup([
      secretString(TEST_CREDENTIALS),
      secretString(ROTATED_CREDENTIALS),
    ]);
    const first = await credentials.get();

    await Promise.all([1, 2, 3].map(() => credentials.refreshAfterRejection(first)));
    await credentials.refreshAfterRejection(first);

    expect(fetches()).toBe(2);
  });

  it('reports a missing secret as a configuration error', async () => {
    const { credentials } = setup([named('ResourceNotFoundException')]);

    await expect(credentials.get()).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reports throttling or network trouble as a dependency outage', async () => {
    const { credentials } = setup([named('ThrottlingException')]);

    await expect(credentials.get()).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
