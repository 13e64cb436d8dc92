import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { ConfigurationError, DependencyUnavailableError } from '../../lib/errors';
import { createHttpTransport } from '../../lib/huawei/http-transport';
import { SecretsManagerCredentials, parseHuaweiSecret } from '../../lib/huawei/secret-credentials';
import { signRequest, type HuaweiCredentials } from '../../lib/huawei/signer';
import {
  ROTATED_CREDENTIALS,
  TEMPORARY_CREDENTIALS,
  TEST_CREDENTIALS,
  secretString,
} from '../support/test-credentials';
import { secretValuesIn } from '../support/secret-values';

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

  it('drops fields it does not know', () => {
    const secret = JSON.stringify({ ...JSON.parse(secretString(TEST_CREDENTIALS)), region: 'x' });

    expect(parseHuaweiSecret(secret)).toEqual(TEST_CREDENTIALS);
  });

  it('forgives whitespace around a value, as left by a copy and paste', () => {
    const secret = JSON.stringify({
      ak: ` ${TEST_CREDENTIALS.accessKeyId}\n`,
      sk: `${TEST_CREDENTIALS.secretAccessKey}\r\n`,
    });

    expect(parseHuaweiSecret(secret)).toEqual(TEST_CREDENTIALS);
  });

  const validFields = {
    ak: TEMPORARY_CREDENTIALS.accessKeyId,
    sk: TEMPORARY_CREDENTIALS.secretAccessKey,
    securityToken: TEMPORARY_CREDENTIALS.securityToken!,
  };

  it.each([
    ['ak', 'a line break', (v: string) => `${v.slice(0, 8)}\n${v.slice(8)}`],
    ['ak', 'a non-Latin-1 character', (v: string) => `${v.slice(0, 8)}\u0100${v.slice(8)}`],
    ['ak', 'a character the Authorization header uses as a separator', (v: string) => `${v},x`],
    ['ak', 'an implausible length', (v: string) => v.repeat(10)],
    ['sk', 'a line break', (v: string) => `${v.slice(0, 8)}\r${v.slice(8)}`],
    ['sk', 'a non-ASCII character', (v: string) => `${v}é`],
    ['sk', 'an implausible length', () => 'short'],
    ['securityToken', 'a line break', (v: string) => `${v.slice(0, 8)}\n${v.slice(8)}`],
    [
      'securityToken',
      'a non-Latin-1 character',
      (v: string) => `${v.slice(0, 8)}\u2028${v.slice(8)}`,
    ],
    ['securityToken', 'a control character', (v: string) => `${v}\u0000`],
  ] as const)(
    'refuses a secret whose %s contains %s, naming the field and not its value',
    (field, _what, spoil) => {
      const value = spoil(validFields[field]);
      const secret = JSON.stringify({ ...validFields, [field]: value });

      const error = catchError(() => parseHuaweiSecret(secret));

      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error.message).toContain(field);
      expect(error.message).not.toContain(validFields[field].slice(0, 8));
    },
  );
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('any secret contents (property)', () => {
  let server: Server;
  let url: URL;
  const transport = createHttpTransport();

  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/p`);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const validValue = fc.stringMatching(/^[A-Za-z0-9]{20,40}$/);
  /** One character node or the Authorization header cannot take, somewhere in a valid value. */
  const spoiledValue = fc
    .tuple(
      validValue,
      fc.constantFrom('\n', '\r', '\u0000', '\u007f', '\u00e9', '\u0100', '\u2028', ' ', ',', '='),
      fc.nat(40),
    )
    .map(([valid, bad, at]) => `${valid.slice(0, at)}${bad}${valid.slice(at)}`);
  /** Weighted towards valid values, so that many secrets are parsed and then sent. */
  const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: validValue },
    { weight: 2, arbitrary: spoiledValue },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
    { weight: 1, arbitrary: fc.jsonValue() },
  );
  const secretString = fc.oneof(
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
    {
      weight: 4,
      arbitrary: fc
        .record(
          { ak: fieldValue, sk: fieldValue, securityToken: fieldValue },
          { requiredKeys: ['ak', 'sk'] },
        )
        .chain((fields) =>
          fc
            .dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })
            .map((extra) => JSON.stringify({ ...extra, ...fields })),
        ),
    },
  );

  async function send(credentials: HuaweiCredentials): Promise<number> {
    const headers = signRequest(
      { method: 'GET', path: url.pathname, headers: { host: url.host, 'x-project-id': 'p' } },
      credentials,
      new Date(0),
    );
    const response = await transport({
      url,
      method: 'GET',
      headers,
      timeoutMs: 2_000,
      maxResponseBytes: 1024,
    });
    return response.status;
  }

  it('parses a secret into sendable credentials or refuses it with a ConfigurationError that does not repeat it', async () => {
    await fc.assert(
      fc.asyncProperty(secretString, async (secret) => {
        let credentials: HuaweiCredentials;
        try {
          credentials = parseHuaweiSecret(secret);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigurationError);
          for (const value of secretValuesIn(secret)) {
            expect((error as Error).message).not.toContain(value);
          }
          return;
        }

        await expect(send(credentials)).resolves.toBe(204);
      }),
      { seed: 20261123, numRuns: 300 },
    );
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

  it('answers from a failed fetch, without calling again, for a second after it', async () => {
    const { credentials, fetches, advance } = setup([named('ThrottlingException')]);
    await credentials.get().catch(() => undefined);

    advance(999);
    const again = credentials.get();

    await expect(again).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(fetches()).toBe(1);
  });

  it('answers a rejection re-read from the failed fetch too', async () => {
    const { credentials, fetches } = setup([named('ThrottlingException')]);
    await credentials.get().catch(() => undefined);

    const refreshed = credentials.refreshAfterRejection(TEST_CREDENTIALS);

    await expect(refreshed).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(fetches()).toBe(1);
  });

  it('remembers a secret it cannot use as long as an outage', async () => {
    const { credentials, fetches } = setup(['not json']);
    await credentials.get().catch(() => undefined);

    const again = credentials.get();

    await expect(again).rejects.toBeInstanceOf(ConfigurationError);
    expect(fetches()).toBe(1);
  });

  it('waits twice as long after each failure in a row, up to 16 seconds', async () => {
    const { credentials, fetches, advance } = setup([named('ThrottlingException')]);
    const fetchedAfter: number[] = [];

    for (let ms = 0; ms < 60_000; ms += 100) {
      const before = fetches();
      await credentials.get().catch(() => undefined);
      if (fetches() > before) fetchedAfter.push(ms);
      advance(100);
    }

    const waits = fetchedAfter.slice(1).map((at, i) => at - fetchedAfter[i]!);
    expect(waits.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 16_000]);
  });

  it('fetches at once again after the wait, and a success ends the backoff', async () => {
    const { credentials, fetches, advance } = setup([
      named('ThrottlingException'),
      secretString(TEST_CREDENTIALS),
      named('ThrottlingException'),
      secretString(ROTATED_CREDENTIALS),
    ]);
    await credentials.get().catch(() => undefined);
    advance(1_000);
    await credentials.get();
    advance(60_001);
    await credentials.get().catch(() => undefined);

    advance(1_000);
    const after = await credentials.get();

    expect(after).toEqual(ROTATED_CREDENTIALS);
    expect(fetches()).toBe(4);
  });

  it('reports throttling or network trouble as a dependency outage', async () => {
    const { credentials } = setup([named('ThrottlingException')]);

    await expect(credentials.get()).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
