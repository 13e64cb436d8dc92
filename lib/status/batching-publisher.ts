import type { EventPublisher, PublishOutcome } from './event-publisher';
import { PUT_EVENTS_BATCH } from './event-publisher';
import type { StatusChangeDetail } from './status-event';

interface Waiting {
  readonly details: readonly StatusChangeDetail[];
  resolve(outcome: PublishOutcome): void;
  reject(error: unknown): void;
}

/**
 * Lets concurrent observers share PutEvents calls: entries wait up to `lingerMs` (or until ten are
 * queued) and go out together. Each caller still gets the outcome of its own entries, so the
 * pending-marker logic in the observer is unchanged.
 */
export class BatchingPublisher implements EventPublisher {
  #queue: Waiting[] = [];
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly inner: EventPublisher,
    private readonly lingerMs: number,
  ) {}

  publish(details: readonly StatusChangeDetail[]): Promise<PublishOutcome> {
    return new Promise<PublishOutcome>((resolve, reject) => {
      this.#queue.push({ details, resolve, reject });
      this.#queued += details.length;
      if (this.#queued >= PUT_EVENTS_BATCH) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.lingerMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    this.inner.publish(batch.flatMap((w) => w.details)).then(
      (outcome) => {
        const failed = new Set(outcome.failed);
        for (const waiting of batch) {
          waiting.resolve({
            published: waiting.details.filter((d) => !failed.has(d)),
            failed: waiting.details.filter((d) => failed.has(d)),
            calls: outcome.calls,
          });
        }
      },
      (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
    );
  }
}
