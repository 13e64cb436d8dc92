import { SignatureV4 } from '@smithy/signature-v4';
import { signSigV4 } from '../../lib/aws/sigv4';
import { NodeSha256 } from '../support/node-sha256';

const EXAMPLE_CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

describe('SigV4 signing', () => {
  it('signs AWS\'s "get-vanilla" test vector as AWS publishes it', () => {
    const headers = signSigV4(
      { method: 'GET', path: '/', headers: { host: 'example.amazonaws.com' }, body: '' },
      EXAMPLE_CREDENTIALS,
      { region: 'us-east-1', service: 'service' },
      new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
    );

    expect(headers).toEqual({
      host: 'example.amazonaws.com',
      'x-amz-date': '20150830T123600Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    });
  });

  it('signs a DynamoDB call with temporary credentials exactly as the AWS SDK signer does', async () => {
    const credentials = { ...EXAMPLE_CREDENTIALS, sessionToken: 'example-session-token' };
    const date = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));
    const headers = {
      host: 'dynamodb.eu-west-1.amazonaws.com',
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
    };
    const body = '{"TableName":"status","Key":{"pk":{"S":"TASK#p/i/t"}}}';
    const sdkSigner = new SignatureV4({
      credentials,
      region: 'eu-west-1',
      service: 'dynamodb',
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const bySdk = await sdkSigner.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: headers.host,
        path: '/',
        query: {},
        headers: { ...headers },
        body,
      },
      { signingDate: date },
    );

    const ours = signSigV4(
      { method: 'POST', path: '/', headers, body },
      credentials,
      { region: 'eu-west-1', service: 'dynamodb' },
      date,
    );

    expect(ours).toEqual(bySdk.headers);
    expect(ours['x-amz-security-token']).toBe('example-session-token');
  });

  it('signs header values trimmed, inner whitespace runs as one space, as the SDK signer does', async () => {
    const date = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));
    const headers = {
      host: 'example.amazonaws.com',
      'x-amz-target': '  Service.Op   with  space ',
    };
    const bySdk = await new SignatureV4({
      credentials: EXAMPLE_CREDENTIALS,
      region: 'us-east-1',
      service: 'service',
      sha256: NodeSha256,
      applyChecksum: false,
    }).sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: headers.host,
        path: '/',
        query: {},
        headers: { ...headers },
        body: '{}',
      },
      { signingDate: date },
    );

    const ours = signSigV4(
      { method: 'POST', path: '/', headers, body: '{}' },
      EXAMPLE_CREDENTIALS,
      { region: 'us-east-1', service: 'service' },
      date,
    );

    expect(ours.authorization).toBe(bySdk.headers.authorization);
  });

  it("signs each day with that day's key, whichever day was signed before (the key is cached per day)", async () => {
    const request = {
      method: 'GET',
      path: '/',
      headers: { host: 'example.amazonaws.com' },
      body: '',
    };
    const scope = { region: 'us-east-1', service: 'service' };
    const sign = (date: Date) => signSigV4(request, EXAMPLE_CREDENTIALS, scope, date).authorization;
    const bySdk = async (date: Date) =>
      (
        await new SignatureV4({
          credentials: EXAMPLE_CREDENTIALS,
          ...scope,
          sha256: NodeSha256,
          applyChecksum: false,
        }).sign(
          {
            method: 'GET',
            protocol: 'https:',
            hostname: 'example.amazonaws.com',
            path: '/',
            query: {},
            headers: { host: 'example.amazonaws.com' },
          },
          { signingDate: date },
        )
      ).headers.authorization;
    const [day30, day31] = [
      new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
      new Date(Date.UTC(2015, 7, 31, 12, 36, 0)),
    ];

    const signed = [sign(day30), sign(day31), sign(day30)];

    expect(signed).toEqual([await bySdk(day30), await bySdk(day31), await bySdk(day30)]);
  });
});
