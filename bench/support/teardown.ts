/**
 * Everything the benchmark starts is registered here and stopped in reverse order: at the end,
 * on an error, and on SIGINT/SIGTERM.
 */
export class Teardown {
  readonly #steps: { name: string; stop: () => Promise<void> | void }[] = [];
  #running: Promise<void> | undefined;

  add(name: string, stop: () => Promise<void> | void): void {
    this.#steps.push({ name, stop });
  }

  run(): Promise<void> {
    this.#running ??= (async () => {
      for (const step of this.#steps.reverse()) {
        try {
          await step.stop();
        } catch (error) {
          console.error(`bench: stopping ${step.name} failed:`, error);
        }
      }
    })();
    return this.#running;
  }

  /** Stops everything and exits on SIGINT/SIGTERM (130/143, as a shell would). */
  stopOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals, code: number) => {
      console.error(`\nbench: ${signal} received, stopping everything it started...`);
      void this.run().finally(() => process.exit(code));
    };
    process.once('SIGINT', () => onSignal('SIGINT', 130));
    process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  }
}
