import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  canonicalQuery,
  canonicalUri,
  encodeRfc3986,
  formatSdkDate,
  signRequest,
  stringToSign,
} from '../../lib/huawei/signer';
import type { HuaweiCredentials } from '../../lib/huawei/signer';
import { signerVectors as vectors } from '../support/signer-vectors';

/** Parses `YYYYMMDDTHHmmssZ` by hand, so the vectors do not depend on the code under test. */
function dateFromSdkDate(sdkDate: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(sdkDate);
  if (!match) throw new Error(`not an X-Sdk-Date: ${sdkDate}`);
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}

function signedHeadersOf(authorization: string | undefined): string | undefined {
  return /SignedHeaders=([^,]*),/.exec(authorization ?? '')?.[1];
}

function signatureOf(authorization: string | undefined): string | undefined {
  return /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];
}

const CREDENTIALS: HuaweiCredentials = vectors.officialNodeSdk.credentials;
const DATE = new Date('2026-11-23T12:00:00Z');
const SHOW_TASK_PATH =
  '/v2/0f1e2d3c4b5a69788796a5b4c3d2e1f0/instances/59f6d088-1b2c-4d5e-8f90-123456789abc/connector/tasks/194917d0-aaaa-4bbb-8ccc-0123456789ab';
const SHOW_TASK_REQUEST = {
  method: 'GET',
  path: SHOW_TASK_PATH,
  headers: {
    host: 'dms.cn-north-4.myhuaweicloud.com',
    'X-Project-Id': '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    'content-type': 'application/json',
  },
};

describe('signRequest against the published test vectors', () => {
  it.each(vectors.officialNodeSdk.cases)(
    'reproduces the official Node SDK signature for $name',
    (vector) => {
      const { credentials, sdkDate } = vectors.officialNodeSdk;
      const request = {
        method: vector.method,
        path: vector.path,
        query: vector.query,
        headers: { ...vector.headers, host: vector.host },
      };
      const signingCredentials = vector.securityToken
        ? { ...credentials, securityToken: vector.securityToken }
        : credentials;

      const headers = signRequest(request, signingCredentials, dateFromSdkDate(sdkDate));

      expect(headers.authorization).toBe(vector.expectedAuthorization);
    },
  );

  it('reproduces the Go SDK signature for a host-less GET /path?limit=1', () => {
    const { credentials, sdkDate, hostlessRequest } = vectors.goSdk;
    const request = {
      method: hostlessRequest.method,
      path: hostlessRequest.path,
      query: hostlessRequest.query,
      headers: {},
    };

    const headers = signRequest(request, credentials, dateFromSdkDate(sdkDate));

    expect(headers.authorization).toBe(hostlessRequest.expectedAuthorization);
  });

  it('reproduces the Go SDK canonical query, with sorted keys, one pair per repeated value and RFC 3986 encoding', () => {
    const { query, expected } = vectors.goSdk.canonicalQuery;

    const canonical = canonicalQuery(query);

    expect(canonical).toBe(expected);
  });
});

describe('the canonical request', () => {
  it('is method, URI, query, headers, signed headers and body hash, hashed into the string to sign', () => {
    const request = {
      method: 'GET',
      path: '/path',
      query: { limit: '1' },
      headers: { 'x-sdk-date': '20060102T150405Z' },
    };
    const expectedCanonicalRequest = [
      'GET',
      '/path/',
      'limit=1',
      'x-sdk-date:20060102T150405Z\n',
      'x-sdk-date',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ].join('\n');
    const expectedHash = createHash('sha256').update(expectedCanonicalRequest).digest('hex');

    const result = stringToSign(request, '20060102T150405Z');

    expect(result.stringToSign).toBe(`SDK-HMAC-SHA256\n20060102T150405Z\n${expectedHash}`);
  });
});

describe('formatSdkDate', () => {
  it('formats a UTC instant as YYYYMMDDTHHmmssZ', () => {
    const date = new Date('2026-11-23T12:34:56Z');

    const formatted = formatSdkDate(date);

    expect(formatted).toBe('20261123T123456Z');
  });

  it('pads single-digit months, days, hours, minutes and seconds with a zero', () => {
    const date = new Date('2006-01-02T03:04:05Z');

    const formatted = formatSdkDate(date);

    expect(formatted).toBe('20060102T030405Z');
  });

  it('converts an instant given with an offset to UTC, even across a date boundary', () => {
    const date = new Date('2026-11-24T01:30:00+02:00');

    const formatted = formatSdkDate(date);

    expect(formatted).toBe('20261123T233000Z');
  });

  it('drops milliseconds instead of rounding them up to the next second', () => {
    const date = new Date('2026-11-23T12:00:00.999Z');

    const formatted = formatSdkDate(date);

    expect(formatted).toBe('20261123T120000Z');
  });
});

describe('canonicalUri', () => {
  it('appends a trailing slash to a path sent without one', () => {
    const uri = canonicalUri('/v2/p/instances/i/connector/tasks/t');

    expect(uri).toBe('/v2/p/instances/i/connector/tasks/t/');
  });

  it('does not add a second slash to a path that already ends in one', () => {
    const uri = canonicalUri('/v2/p/');

    expect(uri).toBe('/v2/p/');
  });

  it('keeps the root path as a single slash', () => {
    const uri = canonicalUri('/');

    expect(uri).toBe('/');
  });

  it('percent-encodes each segment once, keeping the slashes between segments', () => {
    const uri = canonicalUri("/a b/ü/%41/*'!/😀");

    expect(uri).toBe('/a%20b/%C3%BC/%2541/%2A%27%21/%F0%9F%98%80/');
  });

  it('always ends in a slash, whatever the path', () => {
    const arbitraryPath = fc
      .array(fc.string({ unit: 'binary', maxLength: 8 }), { maxLength: 6 })
      .map((segments) => segments.join('/'));

    fc.assert(
      fc.property(arbitraryPath, (path) => {
        expect(canonicalUri(path).endsWith('/')).toBe(true);
      }),
      { numRuns: 500, seed: 20261123 },
    );
  });
});

describe('encodeRfc3986', () => {
  it('leaves the unreserved characters A-Z a-z 0-9 - . _ ~ as they are', () => {
    const unreserved = 'ABCXYZabcxyz0189-._~';

    const encoded = encodeRfc3986(unreserved);

    expect(encoded).toBe(unreserved);
  });

  it("encodes the characters encodeURIComponent leaves alone: ! ' ( ) *", () => {
    const encoded = encodeRfc3986("!'()*");

    expect(encoded).toBe('%21%27%28%29%2A');
  });

  it('encodes a space as %20, not +', () => {
    const encoded = encodeRfc3986('a b+c');

    expect(encoded).toBe('a%20b%2Bc');
  });

  it('encodes non-ASCII characters, astral ones included, as upper-case UTF-8 bytes', () => {
    const encoded = encodeRfc3986('é一😀');

    expect(encoded).toBe('%C3%A9%E4%B8%80%F0%9F%98%80');
  });
});

describe('signRequest', () => {
  it('adds X-Sdk-Date in the signing date and signs it', () => {
    const headers = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    expect(headers['x-sdk-date']).toBe('20261123T120000Z');
    expect(signedHeadersOf(headers.authorization)).toContain('x-sdk-date');
  });

  it('adds a security token as x-security-token and lists it in SignedHeaders', () => {
    const temporary = { ...CREDENTIALS, securityToken: 'TOKEN-123' };

    const headers = signRequest(SHOW_TASK_REQUEST, temporary, DATE);

    expect(headers['x-security-token']).toBe('TOKEN-123');
    expect(signedHeadersOf(headers.authorization)).toBe(
      'content-type;host;x-project-id;x-sdk-date;x-security-token',
    );
  });

  it('signs the security token: another token gives another signature', () => {
    const withToken = (securityToken: string) =>
      signRequest(SHOW_TASK_REQUEST, { ...CREDENTIALS, securityToken }, DATE).authorization;

    const first = withToken('TOKEN-123');
    const second = withToken('TOKEN-124');

    expect(signatureOf(first)).not.toBe(signatureOf(second));
  });

  it('adds no x-security-token for permanent credentials', () => {
    const headers = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    expect(headers).not.toHaveProperty('x-security-token');
  });

  it('re-signing the same request with a later date changes X-Sdk-Date and the signature', () => {
    const first = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    const retry = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, new Date(DATE.getTime() + 3_000));

    expect(retry['x-sdk-date']).toBe('20261123T120003Z');
    expect(signatureOf(retry.authorization)).not.toBe(signatureOf(first.authorization));
  });

  it('lists header names lower-cased and sorted in SignedHeaders, whatever their case and order', () => {
    const request = {
      method: 'GET',
      path: '/v2/p/instances',
      headers: {
        'X-Project-Id': 'p',
        Host: 'dms.cn-north-4.myhuaweicloud.com',
        'Content-Type': 'application/json',
        'accept-language': 'en',
      },
    };

    const headers = signRequest(request, CREDENTIALS, DATE);

    expect(signedHeadersOf(headers.authorization)).toBe(
      'accept-language;content-type;host;x-project-id;x-sdk-date',
    );
  });

  it('gives the same signature whatever the case of the header names', () => {
    const mixedCase = {
      ...SHOW_TASK_REQUEST,
      headers: {
        Host: 'dms.cn-north-4.myhuaweicloud.com',
        'X-Project-Id': '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        'Content-Type': 'application/json',
      },
    };
    const lowerCase = {
      ...SHOW_TASK_REQUEST,
      headers: {
        host: 'dms.cn-north-4.myhuaweicloud.com',
        'x-project-id': '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        'content-type': 'application/json',
      },
    };

    const mixed = signRequest(mixedCase, CREDENTIALS, DATE);
    const lower = signRequest(lowerCase, CREDENTIALS, DATE);

    expect(mixed.authorization).toBe(lower.authorization);
  });

  it('returns the request headers alongside X-Sdk-Date and Authorization', () => {
    const headers = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    expect(Object.keys(headers).sort()).toEqual([
      'X-Project-Id',
      'authorization',
      'content-type',
      'host',
      'x-sdk-date',
    ]);
  });

  it('signs a lower-case method as its upper-case form', () => {
    const lowerCase = { ...SHOW_TASK_REQUEST, method: 'get' };

    const lower = signRequest(lowerCase, CREDENTIALS, DATE);
    const upper = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    expect(lower.authorization).toBe(upper.authorization);
  });

  it('is deterministic: the same request, credentials and date give the same Authorization', () => {
    const first = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, DATE);

    const second = signRequest(SHOW_TASK_REQUEST, CREDENTIALS, new Date(DATE.getTime()));

    expect(second.authorization).toBe(first.authorization);
  });
});
