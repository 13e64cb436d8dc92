/**
 * Runs in every test file. Everything written to stdout/stderr or the console is scanned for the
 * test credentials, and tests pass responses and errors they receive through `scanForSecrets`.
 * A file in which any of them leaked fails in `afterAll`: asserted, not eyeballed.
 * JSON log lines are scanned and then swallowed (set SHOW_LOGS=1 to see them).
 */
import { ALL_TEST_SECRETS } from './test-credentials';

const leaks: string[] = [];
// This machine runs Node 20; the SDK's notice that later releases need Node 22 is only noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const showLogs = process.env.SHOW_LOGS === '1';

export function scanForSecrets(label: string, value: unknown): void {
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Error
        ? `${value.name} ${value.message} ${value.stack ?? ''} ${JSON.stringify(value)} ${JSON.stringify(
            (value as { cause?: unknown }).cause ?? '',
          )}`
        : (JSON.stringify(value) ?? String(value));
  for (const secret of ALL_TEST_SECRETS) {
    if (text.includes(secret))
      leaks.push(`${label} contains a test secret (${secret.slice(0, 6)}…)`);
  }
}

function wrapStream(stream: NodeJS.WriteStream, label: string): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = (chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    scanForSecrets(label, text);
    if (!showLogs && text.trimStart().startsWith('{')) {
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return original(chunk, ...rest);
  };
}

wrapStream(process.stdout, 'stdout');
wrapStream(process.stderr, 'stderr');
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    args.forEach((arg) => scanForSecrets(`console.${method}`, arg));
    original(...args);
  };
}

afterAll(() => {
  if (leaks.length > 0) {
    throw new Error(`Secrets leaked in this test file:\n${[...new Set(leaks)].join('\n')}`);
  }
});
