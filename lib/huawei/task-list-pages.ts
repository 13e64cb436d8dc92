import type { Clock } from '../clock';
import { UpstreamContractError } from '../errors';
import type { UpstreamResponse } from './dms-client';

/** The list API's page size ceiling. */
export const LIST_PAGE_LIMIT = 50;
/** 10,000 tasks: far beyond Huawei's per-instance quota, so a runaway total cannot loop us. */
export const MAX_LIST_PAGES = 200;

/**
 * Only the envelope: what an entity must be is up to the caller (a task id for discovery, a
 * whole task for the list route), so that each can say which entity broke the contract. Checked
 * by hand: a schema would copy every page's array of fifty entities only to say it is an array.
 */
function readEnvelope(body: unknown): { tasks: unknown[]; totalNumber: number } | undefined {
  const { tasks, total_number: totalNumber } = (body ?? {}) as Record<string, unknown>;
  if (!Array.isArray(tasks) || !Number.isSafeInteger(totalNumber)) return undefined;
  const total = totalNumber as number;
  return total < 0 ? undefined : { tasks: tasks as unknown[], totalNumber: total };
}

/** One answer of ListConnectorTasks, and when it was asked and answered. */
export interface TaskListPage {
  readonly offset: number;
  /** The page's `tasks`, unvalidated. */
  readonly entities: readonly unknown[];
  /** Huawei's `total_number` on this page. */
  readonly totalNumber: number;
  readonly requestId: string | undefined;
  /** Epoch ms: the page describes the tasks between these two times. */
  readonly lookedAt: number;
  readonly answeredAt: number;
  /**
   * Huawei's total says tasks follow this page. False on the last page, unless the listing was
   * cut off at MAX_LIST_PAGES: a caller that must not answer a partial list checks this.
   */
  readonly more: boolean;
}

export type FetchTaskListPage = (page: {
  offset: number;
  limit: number;
}) => Promise<UpstreamResponse>;

/**
 * Pages through ListConnectorTasks one request after another, `LIST_PAGE_LIMIT` at a time, until
 * Huawei's total is reached or a page comes back empty. The next offset follows what was received,
 * not the limit asked for, so a gateway that answers shorter pages cannot make us skip tasks.
 * Pages are not a snapshot: a task created or deleted meanwhile shifts the ones after it.
 */
export async function* taskListPages(
  fetchPage: FetchTaskListPage,
  clock: Clock,
): AsyncGenerator<TaskListPage, void, undefined> {
  let offset = 0;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const response = await fetchPage({ offset, limit: LIST_PAGE_LIMIT });
    const lookedAt = response.sentAt;
    const answeredAt = clock.now();
    const envelope = readEnvelope(response.body);
    if (!envelope) {
      const error = new UpstreamContractError('the task list is invalid');
      error.upstreamRequestId = response.requestId;
      error.attempts = response.attempts;
      throw error;
    }
    const entities = envelope.tasks;
    const next = offset + entities.length;
    const more = entities.length > 0 && next < envelope.totalNumber;
    yield {
      offset,
      entities,
      totalNumber: envelope.totalNumber,
      requestId: response.requestId,
      lookedAt,
      answeredAt,
      more,
    };
    if (!more) return;
    offset = next;
  }
}
