import { createTracing } from '../../lib/tracing';

describe('createTracing', () => {
  it('is off outside Lambda active tracing (no X-Ray daemon address)', () => {
    const tracing = createTracing({}, 'svc');

    expect(tracing.enabled).toBe(false);
    expect(tracing.middleware).toBeUndefined();
  });

  it('is off when POWERTOOLS_TRACE_ENABLED is "false", even with a daemon address', () => {
    const tracing = createTracing(
      { AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000', POWERTOOLS_TRACE_ENABLED: 'false' },
      'svc',
    );

    expect(tracing.enabled).toBe(false);
  });

  it('returns clients unchanged and runs traced work as is when off', async () => {
    const tracing = createTracing({}, 'svc');
    const client = { send: () => undefined };

    expect(tracing.captureClient(client)).toBe(client);
    await expect(tracing.traced('name', {}, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('provides the handler middleware when Lambda runs with active tracing', () => {
    const tracing = createTracing({ AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000' }, 'svc');

    expect(tracing.enabled).toBe(true);
    expect(tracing.middleware).toEqual(expect.objectContaining({ before: expect.any(Function) }));
  });
});
