import { defaultProvider } from '../../lib/aws/environment-credential-provider';
import { ConfigurationError } from '../../lib/errors';

describe("the bundles' stand-in for the SDK's default credential chain", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('gives the execution role credentials Lambda puts in the environment', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    process.env.AWS_SESSION_TOKEN = 'session';

    const credentials = await defaultProvider()();

    expect(credentials).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'session',
    });
  });

  it('fails as a configuration error naming the variable when they are missing', async () => {
    delete process.env.AWS_ACCESS_KEY_ID;

    await expect(defaultProvider()()).rejects.toThrow(ConfigurationError);
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID/);
  });
});
