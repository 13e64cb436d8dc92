import { TransportError, createHttpTransport } from '../../lib/huawei/http-transport';

/** A header value node refuses to put on the wire (a line break would split the header). */
const UNSENDABLE = 'TESTAKLEAKCANARY0001\r\nX-Injected: 1';

function unsendableRequest() {
  return {
    // Never contacted: node refuses the header before it opens a socket.
    url: new URL('http://127.0.0.1:9/'),
    method: 'GET' as const,
    headers: { 'x-security-token': UNSENDABLE },
    timeoutMs: 1_000,
    maxResponseBytes: 1024,
  };
}

describe('createHttpTransport', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('answers a request node refuses to send with a TransportError that carries no header value', async () => {
    const transport = createHttpTransport();

    const error = await transport(unsendableRequest()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).kind).toBe('invalid-request');
    expect(JSON.stringify({ error, cause: (error as Error).cause })).not.toContain('CANARY');
    expect(String((error as Error).message)).not.toContain('CANARY');
  });

  it('leaves no attempt timer behind when node refuses the request', async () => {
    jest.useFakeTimers();
    const transport = createHttpTransport();
    await transport(unsendableRequest()).catch(() => undefined);

    const fire = () => jest.advanceTimersByTime(5_000);

    expect(fire).not.toThrow();
    expect(jest.getTimerCount()).toBe(0);
  });
});
