/** Hosts allowed over plain http: local simulators only. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Every region lives under `myhuaweicloud.com` except the one sovereign European region. */
const REGION_DOMAIN_EXCEPTIONS: Readonly<Record<string, string>> = {
  'eu-west-101': 'myhuaweicloud.eu',
};

export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,3}$/;

export function dmsBaseUrl(region: string): URL {
  return new URL(
    `https://dms.${region}.${REGION_DOMAIN_EXCEPTIONS[region] ?? 'myhuaweicloud.com'}`,
  );
}

/**
 * Validates an endpoint override. Returns a problem description, or undefined when acceptable.
 * Plain http only for loopback, so credentials are never sent in clear over a network.
 */
export function endpointProblem(url: URL): string | undefined {
  if (url.username || url.password) return 'must not contain credentials';
  if (url.search || url.hash) return 'must not contain a query or fragment';
  if (url.pathname !== '/') return 'must not contain a path';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must use https (plain http is allowed for loopback hosts only)';
}
