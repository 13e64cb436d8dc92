import { redactingReplacer } from '../../lib/logger';

function serialize(value: unknown): string {
  return JSON.stringify(value, redactingReplacer);
}

describe('redactingReplacer', () => {
  it.each([
    'authorization',
    'Authorization',
    'sk',
    'ak',
    'securityToken',
    'x-security-token',
    'secretAccessKey',
    'signature',
  ])('redacts an attribute named %s', (key) => {
    expect(serialize({ nested: { [key]: 'value-to-hide' } })).not.toContain('value-to-hide');
  });

  it('scrubs the access key and signature out of an Authorization value inside a string', () => {
    const text = serialize({
      message:
        'SDK-HMAC-SHA256 Access=AKVALUE123, SignedHeaders=host;x-sdk-date, Signature=abcdef0123',
    });

    expect(text).not.toContain('AKVALUE123');
    expect(text).not.toContain('abcdef0123');
    expect(text).toContain('SignedHeaders=host;x-sdk-date');
  });

  it('keeps ordinary attributes', () => {
    expect(serialize({ taskId: 't-1', status: 'RUNNING' })).toBe(
      '{"taskId":"t-1","status":"RUNNING"}',
    );
  });
});
