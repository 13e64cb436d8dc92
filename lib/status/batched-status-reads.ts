import type { ReadStoredStatus } from '../task-observer';
import type { TaskRef } from '../task-ref';
import { partitionKey, type StatusStore, type StoredStatus } from './status-store';

/** BatchGetItem's key limit. */
const MAX_BATCH = 100;

interface Waiting {
  readonly ref: TaskRef;
  resolve(status: StoredStatus | undefined): void;
  reject(error: unknown): void;
}

/**
 * Lets concurrent observations share consistent BatchGetItem reads: a read waits up to `lingerMs`
 * (or until 100 are queued) and goes out with the others. Each read is still made after its own
 * upstream answer, never from a snapshot taken before it.
 */
export class BatchedStatusReads {
  #queue: Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StatusStore,
    private readonly lingerMs: number,
  ) {}

  readonly read: ReadStoredStatus = (ref) =>
    new Promise<StoredStatus | undefined>((resolve, reject) => {
      this.#queue.push({ ref, resolve, reject });
      if (this.#queue.length >= MAX_BATCH) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.lingerMs);
    });

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    this.#queue = [];
    this.store.getMany(batch.map((waiting) => waiting.ref)).then(
      (found) =>
        batch.forEach((waiting) => {
          const stored = found.get(partitionKey(waiting.ref));
          if (stored instanceof Error) waiting.reject(stored);
          else waiting.resolve(stored);
        }),
      (error: unknown) => batch.forEach((waiting) => waiting.reject(error)),
    );
  }
}
