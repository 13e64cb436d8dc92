/**
 * The integration tests' DynamoDB client gives moto the atomic conditional writes DynamoDB has
 * (test/support/dynamodb-client.ts): without it, observers racing on moto could both commit the
 * same version of a task, a double commit the real table never allows.
 */
import { DynamoDbStatusStore, type StatusChange } from '../../lib/status/status-store';
import { awsClients, createStatusTable } from '../support/aws-resources';
import { serviceDynamoDb } from '../support/dynamodb-client';
import { INSTANCE_ID, PROJECT_ID } from '../support/harness';

/** Items raced; moto let more than one of 8 writers win for about 1 in 70 items when measured. */
const ITEMS = 150;
const WRITERS = 8;

function firstChange(writer: number): StatusChange {
  return {
    status: 'RUNNING',
    version: 1,
    taskName: `writer-${writer}`,
    observedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, writer)).toISOString(),
    lookedAt: writer,
    previousStatus: null,
    task: null,
  };
}

it(`lets exactly one of ${WRITERS} simultaneous first commits of a task win (${ITEMS} tasks)`, async () => {
  const { tableName } = await createStatusTable(awsClients());
  const store = new DynamoDbStatusStore(serviceDynamoDb(), tableName);
  const winners: number[] = [];

  for (let item = 0; item < ITEMS; item++) {
    const ref = {
      projectId: PROJECT_ID,
      instanceId: INSTANCE_ID,
      taskId: `7e57c0de-0000-4000-8000-${item.toString(16).padStart(12, '0')}`,
    };
    const won = await Promise.all(
      Array.from({ length: WRITERS }, (_, writer) => store.commitChange(ref, firstChange(writer))),
    );
    winners.push(won.filter(Boolean).length);
  }

  expect(winners).toEqual(Array(ITEMS).fill(1));
}, 60_000);
