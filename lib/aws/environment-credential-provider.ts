import { awsCredentialsFromEnvironment, type AwsCredentials } from './aws-credentials';

/**
 * Replaces the AWS SDK's default credential chain (`@aws-sdk/credential-provider-node`) in the
 * function bundles only: serverless.yml `custom.esbuild.alias` points the SDK clients at this
 * module. In Lambda that chain always stops at its first link, the environment, which Lambda fills
 * with the execution role's credentials; the other links (SSO, profiles, process, web identity,
 * container and instance metadata, and the STS and SSO clients they bring) are ~100 KB of minified
 * code every cold start loads and nothing runs. Outside the bundles (tests, scripts) the SDK keeps
 * its whole chain.
 */
export const defaultProvider = (): (() => Promise<AwsCredentials>) => () =>
  // A rejection, not a throw: that is how the SDK expects a provider to fail.
  Promise.resolve(process.env).then(awsCredentialsFromEnvironment);
