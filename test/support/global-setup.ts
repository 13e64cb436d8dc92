import { startMoto, type RunningMoto } from './moto';

declare global {
  var __MOTO__: RunningMoto | undefined;
}

/** One moto_server for the integration project; test files isolate themselves by resource names. */
export default async function globalSetup(): Promise<void> {
  const moto = await startMoto();
  globalThis.__MOTO__ = moto;
  // Workers are forked after this runs and inherit these.
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  delete process.env.AWS_PROFILE;
}
