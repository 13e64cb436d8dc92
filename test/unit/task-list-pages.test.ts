import { UpstreamContractError } from '../../lib/errors';
import type { UpstreamResponse } from '../../lib/huawei/dms-client';
import {
  LIST_PAGE_LIMIT,
  MAX_LIST_PAGES,
  taskListPages,
  type TaskListPage,
} from '../../lib/huawei/task-list-pages';
import { FakeClock } from '../support/fake-clock';

/** How long the fake Huawei takes to answer a page, on the fake clock. */
const PAGE_LATENCY_MS = 100;
const REQUEST_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** Entities stand in for tasks: the pager never looks inside them. */
function entities(count: number, from = 0): unknown[] {
  return Array.from({ length: count }, (_, i) => ({ n: from + i }));
}

/**
 * ListConnectorTasks claiming `total` tasks of which `exist` (default: all) are there, answering
 * at most `pageSize` per request (the limit asked for unless a test says otherwise), or `body`.
 */
function setup(options: { total: number; exist?: number; pageSize?: number; body?: unknown }) {
  const clock = new FakeClock();
  const requests: { offset: number; limit: number }[] = [];
  const fetchPage = (page: { offset: number; limit: number }): Promise<UpstreamResponse> => {
    requests.push(page);
    const sentAt = clock.now();
    clock.advance(PAGE_LATENCY_MS);
    const size = Math.min(page.limit, options.pageSize ?? page.limit);
    const count = Math.max(0, Math.min(size, (options.exist ?? options.total) - page.offset));
    const body =
      'body' in options
        ? options.body
        : {
            tasks: entities(count, page.offset),
            total_number: options.total,
            max_tasks: 18,
          };
    return Promise.resolve({ body, requestId: REQUEST_ID, attempts: 1, sentAt });
  };
  return {
    clock,
    requests,
    async pages(): Promise<TaskListPage[]> {
      const pages: TaskListPage[] = [];
      for await (const page of taskListPages(fetchPage, clock)) pages.push(page);
      return pages;
    },
  };
}

describe('taskListPages', () => {
  it('asks for pages of 50 from offset 0 until Huawei’s total is reached', async () => {
    const { pages, requests } = setup({ total: 120 });

    await pages();

    expect(requests).toEqual([
      { offset: 0, limit: LIST_PAGE_LIMIT },
      { offset: 50, limit: LIST_PAGE_LIMIT },
      { offset: 100, limit: LIST_PAGE_LIMIT },
    ]);
  });

  it('yields every entity once, in Huawei’s order', async () => {
    const { pages } = setup({ total: 120 });

    const entitiesSeen = (await pages()).flatMap((page) => page.entities);

    expect(entitiesSeen).toEqual(entities(120));
  });

  it('makes one request for an instance without tasks', async () => {
    const { pages, requests } = setup({ total: 0 });

    expect(await pages()).toMatchObject([{ entities: [], totalNumber: 0, more: false }]);
    expect(requests).toHaveLength(1);
  });

  it('continues from what was received when Huawei answers shorter pages than asked', async () => {
    const { pages, requests } = setup({ total: 25, pageSize: 10 });

    const entitiesSeen = (await pages()).flatMap((page) => page.entities);

    expect(requests.map((r) => r.offset)).toEqual([0, 10, 20]);
    expect(entitiesSeen).toEqual(entities(25));
  });

  it('stops at an empty page even when Huawei’s total says more', async () => {
    const { pages, requests } = setup({ total: 120, exist: 100 });

    const result = await pages();

    expect(requests.map((r) => r.offset)).toEqual([0, 50, 100]);
    expect(result.at(-1)).toMatchObject({ entities: [], more: false });
  });

  it('says on each page whether tasks follow it', async () => {
    const { pages } = setup({ total: 120 });

    expect((await pages()).map((page) => page.more)).toEqual([true, true, false]);
  });

  it('gives each page the times its answered request was sent and answered', async () => {
    const { pages, clock } = setup({ total: 60 });
    const start = clock.now();

    const [first, second] = await pages();

    expect([first?.lookedAt, first?.answeredAt, second?.lookedAt, second?.answeredAt]).toEqual([
      start,
      start + PAGE_LATENCY_MS,
      start + PAGE_LATENCY_MS,
      start + 2 * PAGE_LATENCY_MS,
    ]);
  });

  it('passes on each page’s offset, total and Huawei request id', async () => {
    const { pages } = setup({ total: 60 });

    const [, second] = await pages();

    expect(second).toMatchObject({ offset: 50, totalNumber: 60, requestId: REQUEST_ID });
  });

  it('ends after MAX_LIST_PAGES pages, saying that tasks follow the last', async () => {
    const { pages, requests } = setup({ total: 1_000_000 });

    const result = await pages();

    expect(requests).toHaveLength(MAX_LIST_PAGES);
    expect(result.at(-1)?.more).toBe(true);
  });

  it.each([
    ['not an object', 'oops'],
    ['without tasks', { total_number: 3 }],
    ['without a total', { tasks: [] }],
    ['with a negative total', { tasks: [], total_number: -1 }],
    ['with tasks that are not a list', { tasks: {}, total_number: 0 }],
    ['that is null', null],
    ['that is a list', [{ tasks: [], total_number: 0 }]],
    ['with a fractional total', { tasks: [], total_number: 1.5 }],
    ['with a total past the safe integers', { tasks: [], total_number: 2 ** 53 }],
    ['with a total in a string', { tasks: [], total_number: '3' }],
    ['with a null total', { tasks: [], total_number: null }],
  ])('refuses a page %s as a contract violation, with its request id', async (_name, body) => {
    const { pages } = setup({ total: 3, body });

    const error = await pages().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(UpstreamContractError);
    expect(error).toMatchObject({
      reason: 'the task list is invalid',
      upstreamRequestId: REQUEST_ID,
    });
  });
});
