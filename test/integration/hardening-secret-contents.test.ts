/**
 * Whatever an operator stores in the Huawei secret, the HTTP endpoint answers with one of our
 * codes, the process survives, and no stored value shows up in a response or a log line. Runs
 * the real handler against moto's Secrets Manager and the Huawei simulator.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { startHarness, type Harness } from '../support/harness';
import { secretValuesIn } from '../support/secret-values';

/** Longer than the harness's attempt timeout (500 ms): a stray attempt timer would fire by then. */
const STRAY_TIMER_GRACE_MS = 1_000;

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({ overrides: { random: () => 0 } });
});

afterAll(async () => {
  await harness.stop();
});

const validValue = fc.stringMatching(/^[A-Za-z0-9]{20,40}$/);
/** A valid-looking value with one character a header cannot carry, or that breaks its syntax. */
const spoiledValue = fc
  .tuple(
    validValue,
    fc.constantFrom('\n', '\r\n', '\u0000', '\u007f', '\u00e9', '\u0100', '\u2028', '€', ' ', ','),
    fc.nat(40),
  )
  .map(([valid, bad, at]) => `${valid.slice(0, at)}${bad}${valid.slice(at)}`);
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: validValue },
  { weight: 3, arbitrary: spoiledValue },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const secretString = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)) },
  {
    weight: 4,
    arbitrary: fc
      .record(
        { ak: fieldValue, sk: fieldValue, securityToken: fieldValue },
        { requiredKeys: ['ak', 'sk'] },
      )
      .chain((fields) =>
        fc
          .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })
          .map((extra) => JSON.stringify({ ...extra, ...fields })),
      ),
  },
);

async function storeSecret(secret: string): Promise<void> {
  await harness.aws.clients.secretsManager.send(
    new PutSecretValueCommand({ SecretId: harness.aws.secretId, SecretString: secret }),
  );
  harness.container.credentials.clear();
}

describe('the HTTP endpoint with any secret contents (property)', () => {
  it('answers CONFIGURATION_ERROR or UPSTREAM_AUTH_FAILED and repeats no stored value', async () => {
    const stdout = jest.spyOn(process.stdout, 'write');
    const codes = new Set<unknown>();
    let logLines = 0;

    await fc.assert(
      fc.asyncProperty(secretString, async (secret) => {
        stdout.mockClear();
        await storeSecret(secret);

        const response = await harness.http();

        codes.add(response.json.code);
        logLines += stdout.mock.calls.length;
        expect(['CONFIGURATION_ERROR', 'UPSTREAM_AUTH_FAILED']).toContain(response.json.code);
        const output = `${JSON.stringify(response)}\n${stdout.mock.calls.map(String).join('\n')}`;
        for (const value of secretValuesIn(secret)) expect(output).not.toContain(value);
      }),
      { seed: 20261124, numRuns: 60 },
    );
    await new Promise((resolve) => setTimeout(resolve, STRAY_TIMER_GRACE_MS));

    stdout.mockRestore();
    // Both outcomes were reached: the property did not pass by refusing everything.
    expect(codes).toEqual(new Set(['CONFIGURATION_ERROR', 'UPSTREAM_AUTH_FAILED']));
    // The logs were seen, so their check above was not vacuous.
    expect(logLines).toBeGreaterThan(0);
  });
});
