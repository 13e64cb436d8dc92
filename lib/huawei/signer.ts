import { createHash, createHmac } from 'node:crypto';

/** Huawei Cloud AK/SK. `securityToken` is present only for temporary credentials. */
export interface HuaweiCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly securityToken?: string;
}

export type QueryParams = Readonly<Record<string, string | readonly string[]>>;

export interface SignableRequest {
  readonly method: string;
  /** Decoded path, `/`-separated: each segment is percent-encoded here, once. */
  readonly path: string;
  readonly query?: QueryParams;
  /** Headers to sign, `host` included (with `:port` when it is not the scheme's default). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** `YYYYMMDDTHHmmssZ` in UTC, the only format the gateway accepts in `X-Sdk-Date`. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 3986 percent-encoding: only `A-Z a-z 0-9 - . _ ~` stay as they are. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function canonicalUri(path: string): string {
  const encoded = path.split('/').map(encodeRfc3986).join('/');
  // The gateway signs the path with a trailing slash even though the request is sent without it.
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Default JS sort compares UTF-16 code units, as the official Node signer does. */
function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function canonicalQuery(query: QueryParams = {}): string {
  const pairs: string[] = [];
  for (const key of Object.keys(query).sort(byCodeUnit)) {
    const raw = query[key] ?? '';
    const values = typeof raw === 'string' ? [raw] : [...raw].sort(byCodeUnit);
    for (const value of values) pairs.push(`${encodeRfc3986(key)}=${encodeRfc3986(value)}`);
  }
  return pairs.join('&');
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

function canonicalHeaders(headers: Readonly<Record<string, string>>): {
  canonical: string;
  signedHeaders: string;
} {
  const entries = Object.entries(headers)
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .sort(([a], [b]) => byCodeUnit(a, b));
  return {
    canonical: entries.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders: entries.map(([name]) => name).join(';'),
  };
}

export function stringToSign(
  request: SignableRequest,
  sdkDate: string,
): {
  stringToSign: string;
  signedHeaders: string;
} {
  const { canonical, signedHeaders } = canonicalHeaders(request.headers);
  const bodyHash = request.body ? sha256Hex(request.body) : EMPTY_BODY_SHA256;
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.path),
    canonicalQuery(request.query),
    canonical,
    signedHeaders,
    bodyHash,
  ].join('\n');
  return {
    stringToSign: [SIGNING_ALGORITHM, sdkDate, sha256Hex(canonicalRequest)].join('\n'),
    signedHeaders,
  };
}

export function signature(secretAccessKey: string, toSign: string): string {
  return createHmac('sha256', secretAccessKey).update(toSign, 'utf8').digest('hex');
}

/**
 * Returns the request's headers plus `X-Sdk-Date`, `X-Security-Token` (temporary credentials)
 * and `Authorization`, all signed. Pure: the date is an argument so every retry can re-sign.
 */
export function signRequest(
  request: SignableRequest,
  credentials: HuaweiCredentials,
  date: Date,
): Record<string, string> {
  const sdkDate = formatSdkDate(date);
  const headers: Record<string, string> = { ...request.headers, 'x-sdk-date': sdkDate };
  if (credentials.securityToken) headers['x-security-token'] = credentials.securityToken;
  const { stringToSign: toSign, signedHeaders } = stringToSign({ ...request, headers }, sdkDate);
  const authorization = `${SIGNING_ALGORITHM} Access=${credentials.accessKeyId}, SignedHeaders=${signedHeaders}, Signature=${signature(credentials.secretAccessKey, toSign)}`;
  return { ...headers, authorization };
}
