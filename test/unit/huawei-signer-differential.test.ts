/**
 * Differential test: our signer against the official Huawei Cloud Node SDK signer
 * (`AKSKSigner.sign`), on generated requests.
 *
 * The two take the path differently. The official signer reads it from
 * `url.parse(endpoint).pathname`, so the endpoint is an already-written URL: `url.parse` escapes
 * some characters itself (space, quotes, `<>^{|}` and the backtick) and the signer then encodes the
 * result again; `\` becomes `/`, `?`/`#` end the path, and a trailing U+00A0 or U+FEFF is
 * trimmed. Ours takes the decoded path and encodes each segment once (RFC 3986, as the Go SDK does).
 * Generated paths therefore only use characters `url.parse` leaves as they are, which a
 * precondition property below checks; the quirks get focused tests at the end.
 * Query keys and values need no such care: both signers encode raw strings.
 */
import { parse as parseUrl } from 'node:url';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials';
import fc from 'fast-check';
import { canonicalQuery, signRequest } from '../../lib/huawei/signer';
import { signerVectors } from '../support/signer-vectors';

const RUNS = { numRuns: 2000, seed: 0x5d_4d_53 };

const officialVectors = signerVectors.officialNodeSdk;

type QueryValue = string | string[];

interface GeneratedRequest {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly query: ReadonlyArray<readonly [string, QueryValue]>;
  readonly projectId: string | undefined;
  readonly contentType: { readonly name: string; readonly value: string } | undefined;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly securityToken: string | undefined;
  readonly date: Date;
}

/** `YYYYMMDDTHHmmssZ` built from UTC fields, independently of `formatSdkDate`. */
function sdkDateOf(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  );
}

/** Fresh arrays on every call: the official signer sorts repeated values in place. */
function queryObject(entries: GeneratedRequest['query']): Record<string, QueryValue> {
  return Object.fromEntries(entries.map(([key, value]) => [key, copyOf(value)]));
}

function copyOf(value: QueryValue): QueryValue {
  return typeof value === 'string' ? value : [...value];
}

function lowerCaseKeys(headers: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([name, v]) => [name.toLowerCase(), v]));
}

function signedHeadersOf(authorization: unknown): string | undefined {
  return /SignedHeaders=([^,]*),/.exec(String(authorization))?.[1];
}

function signWithOfficialSdk(request: GeneratedRequest): Record<string, unknown> {
  const credential = new BasicCredentials()
    .withAk(request.accessKeyId)
    .withSk(request.secretAccessKey);
  const headers: Record<string, string> = { 'X-Sdk-Date': sdkDateOf(request.date) };
  if (request.projectId !== undefined) headers['X-Project-Id'] = request.projectId;
  if (request.contentType) headers[request.contentType.name] = request.contentType.value;
  // What BaseCredentials.addAuthHeaders sends for temporary credentials.
  if (request.securityToken !== undefined) headers['X-Security-Token'] = request.securityToken;
  return AKSKSigner.sign(
    {
      endpoint: `${request.scheme}://${request.host}${request.path}`,
      method: request.method,
      headers,
      queryParams: queryObject(request.query),
      data: undefined,
    },
    credential,
  );
}

function signWithOurs(request: GeneratedRequest): Record<string, string> {
  const headers: Record<string, string> = { host: request.host };
  if (request.projectId !== undefined) headers['X-Project-Id'] = request.projectId;
  if (request.contentType) headers[request.contentType.name] = request.contentType.value;
  return signRequest(
    { method: request.method, path: request.path, query: queryObject(request.query), headers },
    {
      accessKeyId: request.accessKeyId,
      secretAccessKey: request.secretAccessKey,
      ...(request.securityToken !== undefined && { securityToken: request.securityToken }),
    },
    request.date,
  );
}

// ---- generators ----

const chars = (s: string): string[] => [...s];
/** Present or absent, half the time each. */
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 2 });
const codePointIn = (min: number, max: number) =>
  fc.integer({ min, max }).map((cp) => String.fromCodePoint(cp));

/** Non-ASCII, no lone surrogates, every UTF-8 length; U+E000-U+FFFF sort after astral in UTF-16. */
const nonAscii = fc.oneof(
  codePointIn(0x80, 0x7ff),
  codePointIn(0x800, 0xd7ff),
  codePointIn(0xe000, 0xffff),
  codePointIn(0x10000, 0x10ffff),
);

const UNRESERVED = chars('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~');
/** Reserved characters that `url.parse` keeps in a path as they are (checked below). */
const PATH_RESERVED = chars(':@!$&()*+,;=[]');
/** `url.parse` trims these as whitespace when they end the URL. */
const TRIMMED_AT_END = new Set(['\u00a0', '\ufeff']);

const pathChar = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...UNRESERVED) },
  { weight: 3, arbitrary: fc.constantFrom(...PATH_RESERVED) },
  { weight: 3, arbitrary: nonAscii.filter((c) => !TRIMMED_AT_END.has(c)) },
);
const pathSegment = fc.string({ unit: pathChar, maxLength: 10 });
const path = fc.array(pathSegment, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`);

const queryChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...UNRESERVED) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(...chars(' &=%#?+*/!\'"()[]{}<>\\^`|,;:@$'), '\t', '\n'),
  },
  { weight: 1, arbitrary: codePointIn(0x00, 0x7f) },
  { weight: 3, arbitrary: nonAscii },
);
const queryText = fc.oneof(
  fc.string({ unit: queryChar, maxLength: 12 }),
  // A small alphabet makes equal values and shared prefixes likely, which exercises the sorting.
  fc.string({
    unit: fc.constantFrom('a', 'B', ' ', '%', '\u00e9', '\ufffd', '\u{1f600}'),
    maxLength: 3,
  }),
);
const queryValue: fc.Arbitrary<QueryValue> = fc.oneof(
  queryText,
  fc.array(queryText, { maxLength: 4 }),
);
const query = fc.uniqueArray(fc.tuple(queryText, queryValue), {
  maxLength: 6,
  selector: ([key]) => key,
});

const host = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        'dms.cn-north-4.myhuaweicloud.com',
        'dms.eu-west-101.myhuaweicloud.eu',
        '127.0.0.1',
        'localhost',
      ),
      fc.domain(),
    ),
    maybe(fc.integer({ min: 1, max: 65_535 })),
  )
  .map(([name, port]) => (port === undefined ? name : `${name}:${port}`));

const generatedRequest: fc.Arbitrary<GeneratedRequest> = fc.record({
  scheme: fc.constantFrom('http' as const, 'https' as const),
  host,
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'),
  path,
  query,
  projectId: maybe(fc.stringMatching(/^[0-9a-f]{32}$/)),
  contentType: maybe(
    fc.record({
      name: fc.constantFrom('Content-Type', 'content-type'),
      value: fc.constantFrom('application/json', 'application/json;charset=UTF-8', 'text/plain'),
    }),
  ),
  accessKeyId: fc.stringMatching(/^[A-Z0-9]{20}$/),
  secretAccessKey: fc.stringMatching(/^[A-Za-z0-9]{40}$/),
  securityToken: maybe(fc.stringMatching(/^[A-Za-z0-9+/=_-]{1,80}$/)),
  date: fc.date({
    min: new Date('2000-01-01T00:00:00.000Z'),
    max: new Date('2099-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  }),
});

// ---- tests ----

describe('the official Node SDK signer as an oracle', () => {
  it.each(officialVectors.cases)(
    'reproduces the shared vector for $name when the date is passed as X-Sdk-Date',
    (vector) => {
      const { credentials, sdkDate } = officialVectors;
      const credential = new BasicCredentials()
        .withAk(credentials.accessKeyId)
        .withSk(credentials.secretAccessKey);
      const headers: Record<string, string> = { ...vector.headers, 'X-Sdk-Date': sdkDate };
      if (vector.securityToken) headers['X-Security-Token'] = vector.securityToken;

      const signed = AKSKSigner.sign(
        {
          endpoint: `${vector.scheme}://${vector.host}${vector.path}`,
          method: vector.method,
          headers,
          queryParams: vector.query,
        },
        credential,
      ) as Record<string, unknown>;

      expect(signed.Authorization).toBe(vector.expectedAuthorization);
    },
  );

  it('sees generated paths and hosts exactly as generated, through url.parse (precondition)', () => {
    fc.assert(
      fc.property(generatedRequest, (request) => {
        const parsed = parseUrl(`${request.scheme}://${request.host}${request.path}`, true);

        expect({ host: parsed.host, pathname: parsed.pathname }).toEqual({
          host: request.host,
          pathname: request.path,
        });
      }),
      RUNS,
    );
  });
});

describe('signRequest compared with the official Node SDK signer', () => {
  it('produces the same SignedHeaders and the same Authorization header', () => {
    fc.assert(
      fc.property(generatedRequest, (request) => {
        const official = signWithOfficialSdk(request);

        const ours = signWithOurs(request);

        expect(signedHeadersOf(ours.authorization)).toBe(signedHeadersOf(official.Authorization));
        expect(ours.authorization).toBe(official.Authorization);
      }),
      RUNS,
    );
  });

  it('sends the same headers, up to the case of their names', () => {
    fc.assert(
      fc.property(generatedRequest, (request) => {
        const official = signWithOfficialSdk(request);

        const ours = signWithOurs(request);

        expect(lowerCaseKeys(ours)).toEqual(lowerCaseKeys(official));
      }),
      RUNS,
    );
  });
});

describe('where the official Node signer differs (documented quirks)', () => {
  const base: GeneratedRequest = {
    scheme: 'https',
    host: 'dms.cn-north-4.myhuaweicloud.com',
    method: 'GET',
    path: '/v2/p',
    query: [],
    projectId: undefined,
    contentType: undefined,
    accessKeyId: 'HPUAEXAMPLEAK0000000',
    secretAccessKey: 'exampleSecretKey0000000000000000000000000',
    securityToken: undefined,
    date: new Date('2026-11-23T12:00:00Z'),
  };

  it('double-encodes a space in the endpoint path, because url.parse has already escaped it to %20', () => {
    const official = signWithOfficialSdk({ ...base, path: '/v2/a b' });

    const oursForLiteralPercent20 = signWithOurs({ ...base, path: '/v2/a%20b' });
    const oursForSpace = signWithOurs({ ...base, path: '/v2/a b' });

    expect(official.Authorization).toBe(oursForLiteralPercent20.authorization);
    expect(official.Authorization).not.toBe(oursForSpace.authorization);
  });

  it('drops a no-break space that ends the endpoint path, because url.parse trims it as whitespace', () => {
    const official = signWithOfficialSdk({ ...base, path: '/v2/a\u00a0' });

    const oursWithoutIt = signWithOurs({ ...base, path: '/v2/a' });

    expect(official.Authorization).toBe(oursWithoutIt.authorization);
  });

  it('sorts query keys by UTF-16 code unit, as ours does, so an astral key comes before U+FFFD', () => {
    // The Go SDK sorts UTF-8 bytes (code points) and would put U+FFFD first.
    const entries: GeneratedRequest['query'] = [
      ['\ufffd', '1'],
      ['\u{1f600}', '2'],
    ];
    const official = signWithOfficialSdk({ ...base, query: entries });

    const ours = signWithOurs({ ...base, query: entries });

    expect(canonicalQuery(queryObject(entries))).toBe('%F0%9F%98%80=2&%EF%BF%BD=1');
    expect(ours.authorization).toBe(official.Authorization);
  });
});
