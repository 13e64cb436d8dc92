import {
  partitionKey,
  type StatusChange,
  type StatusStore,
  type StoredStatus,
} from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';

/**
 * A StatusStore with DynamoDbStatusStore's conditional semantics: a change of version n is
 * written only while the stored version is n - 1 (no item for version 1). `beforeCommit` runs
 * inside each commit before the condition is checked: where a test lets another observer win.
 */
export class InMemoryStatusStore implements StatusStore {
  readonly #items = new Map<string, { ref: TaskRef; change: StatusChange }>();
  /** Every commitChange call, won or lost, in order. */
  readonly commits: StatusChange[] = [];
  /** The refs of every `get`, in order. */
  readonly gets: TaskRef[] = [];
  /** The refs of every `getMany`, call by call. */
  readonly getManyCalls: TaskRef[][] = [];
  beforeCommit: ((ref: TaskRef) => void) | undefined;
  /** Called on every read, before it answers (to record the order of operations). */
  onRead: ((ref: TaskRef) => void) | undefined;

  /** Stores `change` unconditionally, as if committed earlier. */
  put(ref: TaskRef, change: StatusChange): void {
    this.#items.set(partitionKey(ref), { ref, change });
  }

  /** The whole stored change, as the stream would see it. */
  stored(ref: TaskRef): StatusChange | undefined {
    return this.#items.get(partitionKey(ref))?.change;
  }

  get(ref: TaskRef): Promise<StoredStatus | undefined> {
    this.gets.push(ref);
    this.onRead?.(ref);
    return Promise.resolve(this.#status(ref));
  }

  getMany(refs: readonly TaskRef[]): ReturnType<StatusStore['getMany']> {
    this.getManyCalls.push([...refs]);
    const found = new Map<string, StoredStatus>();
    for (const ref of refs) {
      const status = this.#status(ref);
      if (status) found.set(partitionKey(ref), status);
    }
    return Promise.resolve(found);
  }

  commitChange(ref: TaskRef, change: StatusChange): Promise<boolean> {
    this.commits.push(change);
    this.beforeCommit?.(ref);
    const storedVersion = this.stored(ref)?.version ?? 0;
    if (storedVersion !== change.version - 1) return Promise.resolve(false);
    this.put(ref, change);
    return Promise.resolve(true);
  }

  listByInstance(
    projectId: string,
    instanceId: string,
  ): Promise<{ taskId: string; status: string }[]> {
    return Promise.resolve(
      [...this.#items.values()]
        .filter(({ ref }) => ref.projectId === projectId && ref.instanceId === instanceId)
        .map(({ ref, change }) => ({ taskId: ref.taskId, status: change.status })),
    );
  }

  #status(ref: TaskRef): StoredStatus | undefined {
    const change = this.stored(ref);
    if (!change) return undefined;
    const { status, version, taskName, observedAt, lookedAt } = change;
    return { status, version, taskName, observedAt, lookedAt };
  }
}
