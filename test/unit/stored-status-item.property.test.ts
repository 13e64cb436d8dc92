/**
 * The status store reads a TASK# item's decision attributes by hand, once per task per poll. This
 * holds it to the contract it replaced, written as the schema it was, over items that are right,
 * nearly right and wrong in every attribute.
 */
import fc from 'fast-check';
import * as z from 'zod/mini';
import type { DynamoDbClient } from '../../lib/aws/dynamodb-client';
import { DynamoDbStatusStore } from '../../lib/status/status-store';
import type { TaskRef } from '../../lib/task-ref';

const REF: TaskRef = {
  projectId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  instanceId: '59f6d088-1b2c-4d5e-8f90-123456789abc',
  taskId: '194917d0-aaaa-4bbb-8ccc-0123456789ab',
};

const oracle = z.object({
  status: z.object({ S: z.string().check(z.minLength(1)) }),
  version: z.object({ N: z.string().check(z.regex(/^[1-9]\d{0,14}$/)) }),
  taskName: z.optional(z.union([z.object({ S: z.string() }), z.object({ NULL: z.literal(true) })])),
  observedAt: z.object({ S: z.string() }),
  lookedAt: z.optional(z.object({ N: z.string().check(z.regex(/^\d{1,15}$/)) })),
});

function expected(item: Record<string, unknown>) {
  const parsed = oracle.safeParse(item);
  if (!parsed.success) return 'unreadable';
  const { status, version, taskName, observedAt, lookedAt } = parsed.data;
  return {
    status: status.S,
    version: Number(version.N),
    taskName: taskName && 'S' in taskName ? taskName.S : null,
    observedAt: observedAt.S,
    ...(lookedAt ? { lookedAt: Number(lookedAt.N) } : {}),
  };
}

function storeAnswering(item: Record<string, unknown>): DynamoDbStatusStore {
  const client = {
    getItem: () => Promise.resolve({ Item: item }),
  } as unknown as DynamoDbClient;
  return new DynamoDbStatusStore(client, 'status-table');
}

const text = fc.oneof(
  fc.constantFrom('', 'RUNNING', '0', '1', '01', '42', '1.5', '-1', ' 7', '1e3', '9'.repeat(15)),
  fc.constantFrom('9'.repeat(16), '2026-11-23T11:00:00.000Z', '\u00e9t\u00e9'),
  fc.string({ maxLength: 6 }),
);
/** Attribute values as DynamoDB writes them, and as it never would. */
const attribute = fc.oneof(
  { weight: 6, arbitrary: text.map((S) => ({ S })) },
  { weight: 6, arbitrary: text.map((N) => ({ N })) },
  { weight: 2, arbitrary: fc.constantFrom({ NULL: true }, { NULL: false }, { NULL: 'true' }) },
  { weight: 1, arbitrary: fc.record({ S: text, N: text }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 'RUNNING', 7, [], [{ S: 'x' }], { S: 7 }, {}) },
);
const ATTRIBUTES = ['status', 'version', 'taskName', 'observedAt', 'lookedAt'] as const;
const item = fc.record(
  Object.fromEntries(ATTRIBUTES.map((name) => [name, attribute])) as Record<
    (typeof ATTRIBUTES)[number],
    typeof attribute
  >,
  { requiredKeys: [] },
);
/** Mostly a well-formed item with one attribute changed, so each rule is tested on its own. */
const nearlyRight = fc
  .tuple(
    fc.constantFrom(...ATTRIBUTES),
    fc.option(attribute, { nil: undefined }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([name, value, withName, withLookedAt]) => {
    const base: Record<string, unknown> = {
      status: { S: 'RUNNING' },
      version: { N: '4' },
      observedAt: { S: '2026-11-23T11:00:00.000Z' },
      ...(withName ? { taskName: { S: 'orders' } } : {}),
      ...(withLookedAt ? { lookedAt: { N: '1796040000000' } } : {}),
    };
    if (value === undefined) delete base[name];
    else base[name] = value;
    return base;
  });

describe('reading a stored status item', () => {
  it('reads exactly what the item schema accepted, and refuses what it refused', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(item, nearlyRight), async (stored) => {
        const outcome = await storeAnswering(stored)
          .get(REF)
          .catch((error: unknown) => {
            expect(error).toMatchObject({
              name: 'DependencyUnavailableError',
              message: expect.stringContaining('unreadable item'),
            });
            return 'unreadable';
          });

        expect(outcome).toStrictEqual(expected(stored));
      }),
      { numRuns: 3000 },
    );
  });
});
