export default async function globalTeardown(): Promise<void> {
  await globalThis.__MOTO__?.stop();
  globalThis.__MOTO__ = undefined;
}
