import { marshall } from '@aws-sdk/util-dynamodb';
import { DELETED_STATUS, statusEventId } from '../../lib/status/status-event';
import { readStreamRecord, sequenceNumberOf } from '../../lib/status/status-stream';
import {
  healthDetail,
  healthItem,
  OBSERVED_AT,
  REF,
  TASK_NAME,
  changeRecord,
  connectorTask,
  streamRecord,
  taskItem,
  type Image,
} from './status-fixtures';

const MALFORMED_ITEM = { kind: 'unpublishable', problem: 'the task item is malformed' };
const MALFORMED_CHANGE = { kind: 'unpublishable', problem: 'the stored change is malformed' };
const NOT_A_RECORD = { kind: 'unpublishable', problem: 'not a DynamoDB stream record' };
const SKIP = { kind: 'skip' };

/** An INSERT whose new image is a task item with `fields` replaced. */
function insertWith(fields: Image): Record<string, unknown> {
  return streamRecord('INSERT', { newImage: { ...taskItem(), ...fields } });
}

/** A MODIFY from the stored item of `oldVersion` to the item of `newVersion`. */
function modify(oldVersion: number, newVersion: number): Record<string, unknown> {
  return streamRecord('MODIFY', {
    oldImage: taskItem({ status: 'WAITING', version: oldVersion }),
    newImage: taskItem({ status: 'PAUSED', version: newVersion, previousStatus: 'WAITING' }),
  });
}

describe('readStreamRecord: committed changes', () => {
  it('turns the INSERT of a first observation into the change with exactly the stored facts', () => {
    const record = changeRecord({ status: 'RUNNING', version: 1, previousStatus: null });

    const meaning = readStreamRecord(record);

    expect(meaning).toEqual({
      kind: 'change',
      detail: {
        eventId: statusEventId(REF, 1),
        sequence: 1,
        projectId: REF.projectId,
        instanceId: REF.instanceId,
        taskId: REF.taskId,
        taskName: TASK_NAME,
        previousStatus: null,
        status: 'RUNNING',
        observedAt: OBSERVED_AT,
        task: connectorTask('RUNNING'),
      },
    });
  });

  it('turns a MODIFY to a higher version into the change of that version', () => {
    const record = changeRecord({ status: 'PAUSED', version: 7, previousStatus: 'WAITING' });

    const meaning = readStreamRecord(record);

    expect(meaning).toMatchObject({
      kind: 'change',
      detail: {
        eventId: statusEventId(REF, 7),
        sequence: 7,
        previousStatus: 'WAITING',
        status: 'PAUSED',
        task: connectorTask('PAUSED'),
      },
    });
  });

  it('publishes the change of a version exactly one above the old image', () => {
    const meaning = readStreamRecord(modify(4, 5));

    expect(meaning).toMatchObject({ kind: 'change', detail: { sequence: 5 } });
  });

  it('reports a deletion with a null task and the task name kept', () => {
    const record = changeRecord({
      status: DELETED_STATUS,
      version: 3,
      previousStatus: 'RUNNING',
      task: null,
    });

    const meaning = readStreamRecord(record);

    expect(meaning).toMatchObject({
      kind: 'change',
      detail: {
        status: DELETED_STATUS,
        previousStatus: 'RUNNING',
        taskName: TASK_NAME,
        task: null,
      },
    });
  });

  it('carries a null task name through', () => {
    const meaning = readStreamRecord(changeRecord({ taskName: null }));

    expect(meaning).toMatchObject({ kind: 'change', detail: { taskName: null } });
  });

  it('gives the same event id however often the same record is read', () => {
    const record = changeRecord({ version: 2, status: 'PAUSED', previousStatus: 'RUNNING' });

    const first = readStreamRecord(record);
    const again = readStreamRecord(structuredClone(record));

    expect(again).toEqual(first);
  });

  it('publishes a MODIFY whose old image has no version (not a committed task item)', () => {
    const oldImage = { ...taskItem({ version: 1 }) };
    delete oldImage.version;
    const record = streamRecord('MODIFY', { oldImage, newImage: taskItem({ version: 2 }) });

    expect(readStreamRecord(record)).toMatchObject({ kind: 'change', detail: { sequence: 2 } });
  });

  it('publishes the change when the old image cannot be read at all', () => {
    const oldImage = { version: { BOGUS: '1' } } as unknown as Image;
    const record = streamRecord('MODIFY', { oldImage, newImage: taskItem({ version: 2 }) });

    expect(readStreamRecord(record)).toMatchObject({ kind: 'change', detail: { sequence: 2 } });
  });
});

describe('readStreamRecord: records that are not changes', () => {
  it('skips a MODIFY that keeps the version (a rewrite of the same change)', () => {
    expect(readStreamRecord(modify(5, 5))).toEqual(SKIP);
  });

  it('skips a MODIFY to a lower version', () => {
    expect(readStreamRecord(modify(5, 4))).toEqual(SKIP);
  });

  it('skips a MODIFY that keeps the version of an item shaped by an earlier version', () => {
    const earlier = taskItem({ version: 3 });
    delete earlier.previousStatus;
    delete earlier.task;
    const withMarker = { ...earlier, pending: { L: [{ S: '{}' }] } };

    const record = streamRecord('MODIFY', { oldImage: withMarker, newImage: earlier });

    expect(readStreamRecord(record)).toEqual(SKIP);
  });

  it('skips a REMOVE (expiry or clean-up is not a status change)', () => {
    const record = streamRecord('REMOVE', { oldImage: taskItem() });

    expect(readStreamRecord(record)).toEqual(SKIP);
  });

  it('skips a REMOVE even when it carries a new image', () => {
    const record = streamRecord('REMOVE', { newImage: taskItem({ version: 2 }) });

    expect(readStreamRecord(record)).toEqual(SKIP);
  });

  it('skips an INSERT without a new image (a keys-only view)', () => {
    const record = streamRecord('INSERT', {});

    expect(readStreamRecord(record)).toEqual(SKIP);
  });

  it('skips a Powertools idempotency record written to the same table', () => {
    const idempotencyRecord = marshall({
      pk: 'huawei-dms-connector-status-observe#5f3c0c1d6a0b',
      status: 'COMPLETED',
      expiration: 1_795_438_800,
      data: '{"statusChanged":true}',
    });
    const record = streamRecord('INSERT', { newImage: idempotencyRecord });

    expect(readStreamRecord(record)).toEqual(SKIP);
  });

  it('skips an item with no partition key', () => {
    const newImage = { ...taskItem() };
    delete newImage.pk;

    expect(readStreamRecord(streamRecord('INSERT', { newImage }))).toEqual(SKIP);
  });

  it('skips an item whose partition key is not a string', () => {
    const record = insertWith({ pk: { N: '1' } });

    expect(readStreamRecord(record)).toEqual(SKIP);
  });
});

describe('readStreamRecord: task items that cannot become events', () => {
  it('sets aside a new image that cannot be read at all', () => {
    const record = streamRecord('INSERT', {
      newImage: { ...taskItem(), version: { BOGUS: '1' } } as unknown as Image,
    });

    expect(readStreamRecord(record)).toEqual({
      kind: 'unpublishable',
      problem: 'the new image is unreadable',
    });
  });

  it.each<[string, Image]>([
    ['a project id that is not 32 hex characters', { projectId: { S: 'PROJECT' } }],
    ['a missing project id', { projectId: { NULL: true } }],
    ['an instance id that is not a UUID', { instanceId: { S: 'instance-1' } }],
    ['a task id that is not a UUID', { taskId: { S: 'task-1' } }],
    ['version 0', { version: { N: '0' } }],
    ['a negative version', { version: { N: '-1' } }],
    ['a version that is not an integer', { version: { N: '1.5' } }],
    ['a version stored as text', { version: { S: '1' } }],
    ['an empty status', { status: { S: '' } }],
    ['a missing status', { status: { NULL: true } }],
    ['a task name that is not text', { taskName: { N: '7' } }],
    ['an observation time that is not text', { observedAt: { N: '1795435200' } }],
    ['a previous status that is not text', { previousStatus: { BOOL: true } }],
    ['a task that is not text', { task: { M: {} } }],
  ])('sets aside an item with %s as malformed', (_, fields) => {
    expect(readStreamRecord(insertWith(fields))).toEqual(MALFORMED_ITEM);
  });

  it('sets aside a version beyond the safe integer range as malformed', () => {
    const record = insertWith({ version: { N: '9007199254740993' } });

    expect(readStreamRecord(record)).toEqual(MALFORMED_ITEM);
  });

  it('accepts the largest safe integer as a version', () => {
    const record = insertWith({ version: { N: String(Number.MAX_SAFE_INTEGER) } });

    expect(readStreamRecord(record)).toMatchObject({
      kind: 'change',
      detail: { sequence: Number.MAX_SAFE_INTEGER },
    });
  });

  it('sets aside a stored task that is not JSON', () => {
    const record = insertWith({ task: { S: '{"id": "194917d0' } });

    expect(readStreamRecord(record)).toEqual(MALFORMED_CHANGE);
  });

  it('sets aside a stored task that is JSON but not a task', () => {
    const record = insertWith({ task: { S: JSON.stringify({ id: REF.taskId }) } });

    expect(readStreamRecord(record)).toEqual(MALFORMED_CHANGE);
  });

  it('sets aside an observation time that is not an ISO date-time', () => {
    const record = insertWith({ observedAt: { S: 'yesterday' } });

    expect(readStreamRecord(record)).toEqual(MALFORMED_CHANGE);
  });
});

describe('readStreamRecord: input that is not a stream record', () => {
  const valid = changeRecord();
  const dynamodb = valid.dynamodb as Record<string, unknown>;

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'INSERT'],
    ['an empty object', {}],
    ['a record without its dynamodb part', { ...valid, dynamodb: undefined }],
    [
      'a record without a sequence number',
      { ...valid, dynamodb: { ...dynamodb, SequenceNumber: undefined } },
    ],
    [
      'a record with an empty sequence number',
      { ...valid, dynamodb: { ...dynamodb, SequenceNumber: '' } },
    ],
    [
      'a record with a numeric sequence number',
      { ...valid, dynamodb: { ...dynamodb, SequenceNumber: 1 } },
    ],
    ['an unknown event name', { ...valid, eventName: 'UPDATE' }],
    ['a missing event name', { ...valid, eventName: undefined }],
    ['a new image that is not a map', { ...valid, dynamodb: { ...dynamodb, NewImage: 'item' } }],
    ['an old image that is not a map', { ...valid, dynamodb: { ...dynamodb, OldImage: [] } }],
  ])('reports %s as not a DynamoDB stream record', (_, record) => {
    expect(readStreamRecord(record)).toEqual(NOT_A_RECORD);
  });
});

describe('readStreamRecord: health items', () => {
  it('reads the facts a health write stands for, as they were committed', () => {
    const facts = [healthDetail('OBSERVABLE_AGAIN'), healthDetail('STUCK')];
    const record = streamRecord('MODIFY', {
      oldImage: healthItem([], 1),
      newImage: healthItem(facts, 2),
    });

    expect(readStreamRecord(record)).toEqual({ kind: 'health', details: facts });
  });

  it('reads a first health write, with no old image', () => {
    const record = streamRecord('INSERT', { newImage: healthItem([healthDetail('STUCK')]) });

    expect(readStreamRecord(record)).toEqual({ kind: 'health', details: [healthDetail('STUCK')] });
  });

  it('reads a write that counted a failed poll as no events', () => {
    const record = streamRecord('MODIFY', {
      oldImage: healthItem([], 1),
      newImage: healthItem([], 2),
    });

    expect(readStreamRecord(record)).toEqual({ kind: 'health', details: [] });
  });

  it.each([1, 2])('skips a write whose revision is not above the old one (%i)', (revision) => {
    const record = streamRecord('MODIFY', {
      oldImage: healthItem([], 2),
      newImage: healthItem([healthDetail('STUCK')], revision),
    });

    expect(readStreamRecord(record)).toEqual({ kind: 'skip' });
  });

  it('sets aside a health item without a revision', () => {
    const newImage = healthItem([healthDetail('STUCK')]);
    delete newImage.revision;

    expect(readStreamRecord(streamRecord('INSERT', { newImage }))).toEqual({
      kind: 'unpublishable',
      problem: 'the health item is malformed',
    });
  });

  it.each([
    ['not JSON', '{'],
    ['not a list', JSON.stringify(healthDetail('STUCK'))],
    ['an unknown condition', JSON.stringify([{ ...healthDetail('STUCK'), condition: 'SAD' }])],
  ])('sets aside facts that are %s', (_what, facts) => {
    const newImage = { ...healthItem([]), facts: { S: facts } };

    expect(readStreamRecord(streamRecord('INSERT', { newImage }))).toEqual({
      kind: 'unpublishable',
      problem: 'the health facts are malformed',
    });
  });
});

describe('sequenceNumberOf', () => {
  it("gives a record's sequence number", () => {
    const record = changeRecord({}, REF, '4200000000000000000017');

    expect(sequenceNumberOf(record)).toBe('4200000000000000000017');
  });

  it('gives the sequence number of a record that is otherwise malformed', () => {
    expect(sequenceNumberOf({ dynamodb: { SequenceNumber: '17' } })).toBe('17');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['a record without a dynamodb part', { eventName: 'INSERT' }],
    ['a dynamodb part that is null', { dynamodb: null }],
    ['an empty sequence number', { dynamodb: { SequenceNumber: '' } }],
    ['a numeric sequence number', { dynamodb: { SequenceNumber: 17 } }],
  ])('has none for %s', (_, record) => {
    expect(sequenceNumberOf(record)).toBeUndefined();
  });
});

describe('readStreamRecord: versions that are not numbers', () => {
  it('sets aside a new image whose version is text, whatever the old version', () => {
    const record = streamRecord('MODIFY', {
      oldImage: taskItem({ version: 3 }),
      newImage: { ...taskItem({ version: 4 }), version: { S: '3' } },
    });

    expect(readStreamRecord(record)).toEqual(MALFORMED_ITEM);
  });

  it('publishes a change whose old image holds its version as text', () => {
    const record = streamRecord('MODIFY', {
      oldImage: { ...taskItem({ version: 1 }), version: { S: '9' } },
      newImage: taskItem({ version: 2, previousStatus: 'WAITING' }),
    });

    expect(readStreamRecord(record)).toMatchObject({ kind: 'change', detail: { sequence: 2 } });
  });
});
