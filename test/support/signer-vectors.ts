import { z } from 'zod';
import vectorsJson from '../fixtures/signer-vectors.json';

/*
 * The signer test vectors (shared doc: computed with Huawei's official Node SDK signer, and the
 * Go SDK's published ones), parsed so a malformed fixture fails loudly and the vectors are typed.
 */
const Credentials = z.object({ accessKeyId: z.string(), secretAccessKey: z.string() });
const Query = z.record(z.string(), z.union([z.string(), z.array(z.string())]));
const SignerVectors = z.object({
  officialNodeSdk: z.object({
    credentials: Credentials,
    sdkDate: z.string(),
    cases: z.array(
      z.object({
        name: z.string(),
        scheme: z.string(),
        host: z.string(),
        method: z.string(),
        path: z.string(),
        query: Query,
        headers: z.record(z.string(), z.string()),
        securityToken: z.string().optional(),
        expectedAuthorization: z.string(),
      }),
    ),
  }),
  goSdk: z.object({
    credentials: Credentials,
    sdkDate: z.string(),
    hostlessRequest: z.object({
      method: z.string(),
      path: z.string(),
      query: Query,
      expectedAuthorization: z.string(),
    }),
    canonicalQuery: z.object({ query: Query, expected: z.string() }),
  }),
});

export const signerVectors = SignerVectors.parse(vectorsJson);
