import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { DependencyUnavailableError } from '../../lib/errors';
import type { HealthDetail } from '../../lib/health/health-events';
import { createLogger } from '../../lib/logger';
import { createMetrics } from '../../lib/metrics';
import { EventBridgePublisher } from '../../lib/status/event-publisher';
import {
  createStatusStreamHandler,
  type UnpublishableRecordMessage,
} from '../../lib/status/publish-status-changes';
import { statusEventId, type StatusChangeDetail } from '../../lib/status/status-event';
import { partitionKey } from '../../lib/status/status-store';
import type { StreamConsumerContainer } from '../../lib/status/stream-consumer-container';
import { createTracing } from '../../lib/tracing';
import { FakeClock } from '../support/fake-clock';
import { lambdaContext } from '../support/lambda';
import { acceptAll, failing, fakeEventBridge, type Answer } from './fake-event-bridge';
import {
  EVENT_SOURCE_ARN,
  OTHER_REF,
  REF,
  changeRecord,
  connectorTask,
  healthDetail,
  healthItem,
  streamRecord,
  taskItem,
} from './status-fixtures';

const FAILURE_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/status-failures';
const THIRD_REF = { ...REF, taskId: '3b6b39f2-cccc-4ddd-8eee-23456789abcd' };

/** A stand-in for the SQS client: records SendMessage inputs, or refuses them all. */
function fakeSqs(refuse: boolean | object) {
  const sent: SendMessageCommand['input'][] = [];
  const client = {
    send: (command: SendMessageCommand) => {
      sent.push(command.input);
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a rejection that is no Error is the case under test
      if (typeof refuse === 'object') return Promise.reject(refuse);
      return refuse
        ? Promise.reject(
            Object.assign(new Error('queue unavailable'), { name: 'QueueDoesNotExist' }),
          )
        : Promise.resolve({ MessageId: `m-${sent.length}` });
    },
  };
  return { client: client as unknown as SQSClient, sent };
}

const RETENTION_MS = 90 * 86_400_000;

/** A stand-in for the history table: what was recorded, in order, or a refusal of every write. */
function fakeHistory(refuse: boolean | object) {
  const recorded: { details: StatusChangeDetail[]; retentionMs: number }[] = [];
  return {
    recorded,
    history: {
      record: (details: readonly StatusChangeDetail[], retentionMs: number) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a rejection that is no Error is a case under test
        if (typeof refuse === 'object') return Promise.reject(refuse);
        if (refuse) return Promise.reject(new DependencyUnavailableError('Amazon DynamoDB'));
        recorded.push({ details: [...details], retentionMs });
        return Promise.resolve();
      },
    },
  };
}

function setup(
  options: {
    answers?: (Answer | Error)[];
    refuseSetAside?: boolean | object;
    refuseHistory?: boolean | object;
  } = {},
) {
  const eventBridge = fakeEventBridge(...(options.answers ?? [acceptAll]));
  const { history, recorded } = fakeHistory(options.refuseHistory ?? false);
  const sqs = fakeSqs(options.refuseSetAside ?? false);
  const metrics = createMetrics();
  const addMetric = jest.spyOn(metrics, 'addMetric');
  // Metrics with a dimension of their own are emitted through singleMetric().
  const dimensioned: { name: string; dimensions: Record<string, string>; value: number }[] = [];
  jest.spyOn(metrics, 'singleMetric').mockImplementation(() => {
    const dimensions: Record<string, string> = {};
    const single = {
      addDimension: (name: string, value: string) => {
        dimensions[name] = value;
      },
      setDefaultDimensions: (defaults: Record<string, string>) => {
        Object.assign(dimensions, defaults);
      },
      addMetric: (name: string, _unit: string, value: number) => {
        dimensioned.push({ name, dimensions: { ...dimensions }, value });
      },
    };
    return single as unknown as typeof metrics;
  });
  const logger = createLogger();
  const warn = jest.spyOn(logger, 'warn');
  const error = jest.spyOn(logger, 'error');
  const container: StreamConsumerContainer = {
    config: {
      eventBusName: 'status-events',
      failureQueueUrl: FAILURE_QUEUE_URL,
      historyTableName: 'status-history',
      historyRetentionMs: RETENTION_MS,
    },
    logger,
    metrics,
    tracing: createTracing({}, 'x'),
    publisher: new EventBridgePublisher({
      client: eventBridge.client,
      eventBusName: 'status-events',
      clock: new FakeClock(),
    }),
    history,
    sqs: sqs.client,
  };
  const handler = createStatusStreamHandler(container);
  return {
    eventBridge,
    sqs,
    recorded,
    /** The value each metric was given, by name. */
    metric: (name: string) =>
      addMetric.mock.calls.filter(([metricName]) => metricName === name).map((call) => call[2]),
    addMetric,
    /** Each metric emitted with a dimension of its own, by name: its dimensions and value. */
    dimensioned: (name: string) =>
      dimensioned
        .filter((metric) => metric.name === name)
        .map(({ dimensions, value }) => ({ dimensions, value })),
    warn,
    error,
    consume: (records: unknown[]) =>
      handler({ Records: records } as DynamoDBStreamEvent, lambdaContext()),
    invoke: (event: unknown) => handler(event as DynamoDBStreamEvent, lambdaContext()),
  };
}

/** Change `version` of `ref`, at stream position `sequenceNumber`. */
function change(ref: typeof REF, version: number, sequenceNumber: string) {
  return changeRecord(
    {
      version,
      status: version === 1 ? 'RUNNING' : 'PAUSED',
      previousStatus: version === 1 ? null : 'RUNNING',
    },
    ref,
    sequenceNumber,
  );
}

/** A task item the consumer can never publish (version 0), at `sequenceNumber`. */
function malformed(sequenceNumber: string) {
  const newImage = { ...taskItem({}, THIRD_REF), version: { N: '0' } };
  return streamRecord('INSERT', { newImage }, sequenceNumber);
}

/** A Powertools idempotency record in the same table: not a task item. */
function idempotencyRecord(sequenceNumber: string) {
  const newImage = marshall({ pk: 'observe#5f3c0c1d6a0b', status: 'INPROGRESS', expiration: 1 });
  return streamRecord('INSERT', { newImage }, sequenceNumber);
}

describe('status stream handler: delivery', () => {
  it('reports no failures when every change was delivered', async () => {
    const { consume } = setup();

    const response = await consume([change(REF, 1, '1'), change(OTHER_REF, 1, '2')]);

    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('publishes the changes in stream order', async () => {
    const { consume, eventBridge } = setup();

    await consume([change(OTHER_REF, 1, '1'), change(REF, 1, '2'), change(REF, 2, '3')]);

    expect(eventBridge.sent().flat()).toEqual([
      statusEventId(OTHER_REF, 1),
      statusEventId(REF, 1),
      statusEventId(REF, 2),
    ]);
  });

  it('returns the first undelivered record, by its sequence number', async () => {
    const { consume } = setup({ answers: [failing([statusEventId(OTHER_REF, 1)])] });

    const response = await consume([
      change(REF, 1, '11'),
      idempotencyRecord('12'),
      change(OTHER_REF, 1, '13'),
      change(THIRD_REF, 1, '14'),
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '13' }] });
  });

  it('returns the first record of the batch when nothing could be delivered', async () => {
    const { consume } = setup({ answers: [new Error('EventBridge down')] });

    const response = await consume([change(REF, 1, '21'), change(OTHER_REF, 1, '22')]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '21' }] });
  });

  it('publishes nothing for records that are not changes', async () => {
    const { consume, eventBridge } = setup();
    const removal = streamRecord('REMOVE', { oldImage: taskItem() }, '32');

    const response = await consume([idempotencyRecord('31'), removal]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge.requests).toEqual([]);
  });

  it('counts the events published', async () => {
    const { consume, metric } = setup({ answers: [failing([statusEventId(THIRD_REF, 1)])] });

    await consume([change(REF, 1, '1'), change(OTHER_REF, 1, '2'), change(THIRD_REF, 1, '3')]);

    expect(metric('EventsPublished')).toEqual([2]);
  });

  it('counts the records handed back to the stream', async () => {
    const { consume, metric } = setup({ answers: [failing([statusEventId(OTHER_REF, 1)])] });

    await consume([change(REF, 1, '1'), change(OTHER_REF, 1, '2'), idempotencyRecord('3')]);

    expect(metric('StreamRecordsReturned')).toEqual([2]);
  });

  it('counts no returned records when everything was delivered', async () => {
    const { consume, metric } = setup();

    await consume([change(REF, 1, '1')]);

    expect(metric('StreamRecordsReturned')).toEqual([]);
    expect(metric('EventsPublished')).toEqual([1]);
  });
});

describe('status stream handler: logs', () => {
  it('tells how far it got when it hands records back', async () => {
    const { consume, warn } = setup({ answers: [failing([statusEventId(OTHER_REF, 1)])] });

    await consume([change(REF, 1, '1'), change(OTHER_REF, 1, '2'), idempotencyRecord('3')]);

    expect(warn).toHaveBeenCalledWith(
      'Status change events not delivered; the stream will redeliver them',
      {
        delivered: 1,
        returned: 2,
        firstReturned: '2',
        putEventsCalls: 3,
        putEventsError: 'InternalFailure',
      },
    );
  });

  it('warns of nothing when everything was delivered', async () => {
    const { consume, warn } = setup();

    await consume([change(REF, 1, '1')]);

    expect(warn).not.toHaveBeenCalled();
  });
});

describe('status stream handler: records that can never become events', () => {
  it('sets aside a change whose event is too large for PutEvents, and puts the others', async () => {
    const { consume, sqs, eventBridge } = setup();
    const huge = {
      ...taskItem({ version: 1 }),
      task: { S: JSON.stringify({ ...connectorTask(), topics: ['x'.repeat(262_144)] }) },
    };
    const tooLarge = streamRecord('INSERT', { newImage: huge }, '51');

    const response = await consume([tooLarge, change(OTHER_REF, 1, '52')]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge.sent().flat()).toEqual([statusEventId(OTHER_REF, 1)]);
    expect(JSON.parse(sqs.sent[0]!.MessageBody!)).toMatchObject({
      problem: 'the event is larger than PutEvents accepts',
      sequenceNumber: '51',
    });
  });

  it('sets an unpublishable record aside on the failure queue with its position and keys', async () => {
    const { consume, sqs } = setup();

    await consume([malformed('41')]);

    expect(sqs.sent).toHaveLength(1);
    expect(sqs.sent[0]!.QueueUrl).toBe(FAILURE_QUEUE_URL);
    const message = JSON.parse(sqs.sent[0]!.MessageBody!) as UnpublishableRecordMessage;
    expect(message).toEqual({
      kind: 'unpublishable-status-record',
      problem: 'the task item is malformed',
      eventSourceArn: EVENT_SOURCE_ARN,
      sequenceNumber: '41',
      keys: { pk: { S: partitionKey(THIRD_REF) } },
    });
  });

  it('goes on past a record it set aside', async () => {
    const { consume, eventBridge } = setup();

    const response = await consume([
      change(REF, 1, '51'),
      malformed('52'),
      change(OTHER_REF, 1, '53'),
    ]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge.sent().flat()).toEqual([statusEventId(REF, 1), statusEventId(OTHER_REF, 1)]);
  });

  it('sets aside what is not a stream record, without a position', async () => {
    const { consume, sqs } = setup();

    const response = await consume([null]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(JSON.parse(sqs.sent[0]!.MessageBody!)).toEqual({
      kind: 'unpublishable-status-record',
      problem: 'not a DynamoDB stream record',
      keys: null,
    });
  });

  it('counts each record set aside', async () => {
    const { consume, metric } = setup();

    await consume([malformed('61'), malformed('62')]);

    expect(metric('StreamRecordsUnpublishable')).toEqual([1, 1]);
  });

  it('stops at a record it could not set aside and hands it back', async () => {
    const { consume } = setup({ refuseSetAside: true });

    const response = await consume([
      change(REF, 1, '71'),
      malformed('72'),
      change(OTHER_REF, 1, '73'),
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '72' }] });
  });

  it('counts as delivered only the changes before a record it could not set aside', async () => {
    const { consume, eventBridge, metric } = setup({ refuseSetAside: true });

    await consume([change(REF, 1, '81'), malformed('82'), change(OTHER_REF, 1, '83')]);

    // The change after it was put too; the retry from '82' repeats it with the same eventId.
    expect(eventBridge.sent().flat()).toEqual([statusEventId(REF, 1), statusEventId(OTHER_REF, 1)]);
    expect(metric('EventsPublished')).toEqual([1]);
    expect(metric('StreamRecordsReturned')).toEqual([2]);
  });

  it('sets aside nothing after the first undelivered change: the retry brings it back', async () => {
    const { consume, sqs } = setup({ answers: [new Error('EventBridge is down')] });

    await consume([change(REF, 1, '91'), malformed('92')]);

    expect(sqs.sent).toEqual([]);
  });

  it('sets nothing more aside after a record it could not set aside', async () => {
    const { consume, sqs } = setup({ refuseSetAside: true });

    await consume([malformed('91'), malformed('92')]);

    expect(sqs.sent).toHaveLength(1);
  });

  it('fails the whole batch when the record it could not set aside has no position', async () => {
    const { consume } = setup({ refuseSetAside: true });

    const attempt = consume([change(REF, 1, '95'), { eventName: 'INSERT' }]);

    await expect(attempt).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: 'A stream record has no sequence number.',
    });
  });
});

describe('status stream handler: events that are not stream events', () => {
  it.each<[string, unknown]>([
    ['an event without Records', {}],
    ['an event whose Records is not a list', { Records: { 0: {} } }],
    ['a null event', null],
  ])('refuses %s with InvalidRequestError', async (_, event) => {
    const { invoke } = setup();

    await expect(invoke(event)).rejects.toMatchObject({
      name: 'InvalidRequestError',
      message: 'Not a DynamoDB stream event: Records is missing.',
    });
  });

  it('reports no failures for an empty batch', async () => {
    const { consume, eventBridge } = setup();

    const response = await consume([]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(eventBridge.requests).toEqual([]);
  });

  it('counts metrics as counts', async () => {
    const { consume, addMetric } = setup();

    await consume([change(REF, 1, '1')]);

    expect(addMetric).toHaveBeenCalledWith('EventsPublished', MetricUnit.Count, 1);
  });
});

describe('status stream handler: what it logs about records set aside', () => {
  it('logs each record it sets aside with its position and keys', async () => {
    const { consume, error } = setup();

    await consume([malformed('61')]);

    expect(error).toHaveBeenCalledWith(
      'Stream record cannot become an event; set aside',
      expect.objectContaining({ problem: 'the task item is malformed', sequenceNumber: '61' }),
    );
  });

  it('logs the name of the queue failure when it cannot set a record aside', async () => {
    const { consume, error } = setup({ refuseSetAside: true });

    await consume([malformed('62')]);

    expect(error).toHaveBeenCalledWith('Could not set the record aside; it will be retried', {
      error: 'QueueDoesNotExist',
    });
  });
});

it('logs a queue failure that carries no name as Error', async () => {
  const { consume, error } = setup({ refuseSetAside: {} });

  await consume([malformed('63')]);

  expect(error).toHaveBeenCalledWith('Could not set the record aside; it will be retried', {
    error: 'Error',
  });
});

describe('status stream handler: history', () => {
  it('keeps every committed change in the history, in stream order, with the retention', async () => {
    const { consume, recorded } = setup();

    await consume([change(REF, 1, '1'), idempotencyRecord('2'), change(REF, 2, '3')]);

    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.retentionMs).toBe(RETENTION_MS);
    expect(recorded[0]!.details.map((d) => d.eventId)).toEqual([
      statusEventId(REF, 1),
      statusEventId(REF, 2),
    ]);
  });

  it('keeps a change whose event is too large to publish in the history too', async () => {
    const { consume, recorded } = setup();
    const huge = {
      ...taskItem({ version: 1 }),
      task: { S: JSON.stringify({ ...connectorTask(), topics: ['x'.repeat(262_144)] }) },
    };

    await consume([streamRecord('INSERT', { newImage: huge }, '51')]);

    expect(recorded[0]!.details.map((d) => d.eventId)).toEqual([statusEventId(REF, 1)]);
  });

  it('writes no history for a batch without changes', async () => {
    const { consume, recorded } = setup({ refuseHistory: true });

    const response = await consume([idempotencyRecord('1')]);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(recorded).toEqual([]);
  });

  it('publishes nothing while the history cannot be written, and returns the first change', async () => {
    const { consume, eventBridge, error } = setup({ refuseHistory: true });

    const response = await consume([idempotencyRecord('60'), change(REF, 1, '61')]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '61' }] });
    expect(eventBridge.requests).toEqual([]);
    expect(error).toHaveBeenCalledWith(
      'Could not record the status history; the stream will redeliver',
      { error: 'DependencyUnavailableError' },
    );
  });

  it('still sets aside what lies before the first change while the history cannot be written', async () => {
    const { consume, sqs } = setup({ refuseHistory: true });

    const response = await consume([malformed('70'), change(REF, 1, '71'), malformed('72')]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '71' }] });
    const setAside = sqs.sent.map((m) => JSON.parse(m.MessageBody!) as UnpublishableRecordMessage);
    expect(setAside.map((m) => m.sequenceNumber)).toEqual(['70']);
  });
});

describe('status stream handler: health facts', () => {
  const healthRecord = (sequenceNumber: string, ...facts: HealthDetail[]) =>
    streamRecord('INSERT', { newImage: healthItem(facts) }, sequenceNumber);

  it('publishes each fact of a health write, in stream order among the changes', async () => {
    const { consume, eventBridge } = setup();
    const stuck = healthDetail('STUCK');
    const again = healthDetail('OBSERVABLE_AGAIN', OTHER_REF);

    await consume([change(REF, 1, '1'), healthRecord('2', stuck, again), change(REF, 2, '3')]);

    expect(eventBridge.sent().flat()).toEqual([
      statusEventId(REF, 1),
      stuck.eventId,
      again.eventId,
      statusEventId(REF, 2),
    ]);
  });

  it('keeps no history of health facts', async () => {
    const { consume, recorded } = setup();

    await consume([healthRecord('1', healthDetail('STUCK'))]);

    expect(recorded).toEqual([]);
  });

  it('returns a health write that came before the first change while the history cannot be written', async () => {
    const { consume, eventBridge } = setup({ refuseHistory: true });

    const response = await consume([
      healthRecord('80', healthDetail('STUCK')),
      change(REF, 1, '81'),
    ]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '80' }] });
    expect(eventBridge.requests).toEqual([]);
  });
});

describe('status stream handler: status changes by status', () => {
  it('counts the status changes it published by new status', async () => {
    const { consume, dimensioned } = setup();

    await consume([change(REF, 1, '1'), change(OTHER_REF, 1, '2'), change(REF, 2, '3')]);

    expect(dimensioned('StatusChangesByStatus')).toEqual([
      { dimensions: { status: 'RUNNING' }, value: 2 },
      { dimensions: { status: 'PAUSED' }, value: 1 },
    ]);
  });

  it('counts by status only the changes delivered, not those handed back', async () => {
    const { consume, dimensioned } = setup({ answers: [failing([statusEventId(REF, 2)])] });

    await consume([change(REF, 1, '1'), change(REF, 2, '2')]);

    expect(dimensioned('StatusChangesByStatus')).toEqual([
      { dimensions: { status: 'RUNNING' }, value: 1 },
    ]);
  });

  it('counts a redelivered change again', async () => {
    const { consume, dimensioned } = setup();

    await consume([change(REF, 1, '1')]);
    await consume([change(REF, 1, '1')]);

    expect(dimensioned('StatusChangesByStatus')).toEqual([
      { dimensions: { status: 'RUNNING' }, value: 1 },
      { dimensions: { status: 'RUNNING' }, value: 1 },
    ]);
  });

  it("counts a status outside Huawei's form as OTHER, keeping the dimension bounded", async () => {
    const { consume, dimensioned } = setup();

    await consume([
      changeRecord({ version: 1, status: 'paused-by-operator' }, REF, '1'),
      changeRecord({ version: 1, status: 'X'.repeat(33) }, OTHER_REF, '2'),
      changeRecord({ version: 1, status: 'RESTARTING' }, THIRD_REF, '3'),
    ]);

    expect(dimensioned('StatusChangesByStatus')).toEqual([
      { dimensions: { status: 'OTHER' }, value: 2 },
      { dimensions: { status: 'RESTARTING' }, value: 1 },
    ]);
  });

  it('does not count health facts as status changes', async () => {
    const { consume, dimensioned } = setup();

    await consume([streamRecord('INSERT', { newImage: healthItem([healthDetail('STUCK')]) }, '1')]);

    expect(dimensioned('StatusChangesByStatus')).toEqual([]);
  });
});

describe('status stream handler: while the history cannot be written', () => {
  const tooLarge = (sequenceNumber: string) =>
    streamRecord(
      'INSERT',
      {
        newImage: {
          ...taskItem({ version: 1 }),
          task: { S: JSON.stringify({ ...connectorTask(), topics: ['x'.repeat(262_144)] }) },
        },
      },
      sequenceNumber,
    );

  it('says in the log why nothing was published', async () => {
    const { consume, warn } = setup({ refuseHistory: true });

    await consume([change(REF, 1, '1')]);

    expect(warn).toHaveBeenCalledWith(
      'Status change events not delivered; the stream will redeliver them',
      expect.objectContaining({ putEventsCalls: 0, putEventsError: 'StatusHistoryNotRecorded' }),
    );
  });

  it('returns a health write that lies between other records and the first change', async () => {
    const { consume } = setup({ refuseHistory: true });
    const health = streamRecord('INSERT', { newImage: healthItem([healthDetail('STUCK')]) }, '91');

    const response = await consume([idempotencyRecord('90'), health, change(REF, 1, '92')]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '91' }] });
  });

  it('returns a change too large to publish without setting it aside, to record its history first', async () => {
    const { consume, sqs } = setup({ refuseHistory: true });

    const response = await consume([tooLarge('95')]);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '95' }] });
    expect(sqs.sent).toEqual([]);
  });

  it('names a history failure that is no Error as Error in the log', async () => {
    const { consume, error } = setup({ refuseHistory: {} });

    await consume([change(REF, 1, '1')]);

    expect(error).toHaveBeenCalledWith(
      'Could not record the status history; the stream will redeliver',
      { error: 'Error' },
    );
  });
});
