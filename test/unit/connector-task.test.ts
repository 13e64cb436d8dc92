import { inspect } from 'node:util';
import {
  MAX_NORMALIZED_TASK_BYTES,
  normalizeConnectorTask,
  type ConnectorTask,
} from '../../lib/connector-task';
import { UpstreamContractError } from '../../lib/errors';
import { scanForSecrets } from '../support/secret-leak-guard';
import { TEST_CREDENTIALS } from '../support/test-credentials';
import apiPageExample from '../fixtures/show-connector-task.example.json';
import obsSinkExample from '../fixtures/show-connector-task.obs-sink.json';

/** Smallest body the contract allows: everything but `id` and `status` may be omitted. */
const MINIMAL_BODY = { id: '194917d0-aaaa-4bbb-8ccc-0123456789ab', status: 'RUNNING' } as const;

/** A distinctive secret: the leak guard also fails the file if it shows up anywhere. */
const CANARY = TEST_CREDENTIALS.secretAccessKey;

function withFields(fields: Record<string, unknown>): Record<string, unknown> {
  return { ...MINIMAL_BODY, ...fields };
}

function contractErrorFrom(body: unknown): UpstreamContractError {
  try {
    normalizeConnectorTask(body);
  } catch (error) {
    expect(error).toBeInstanceOf(UpstreamContractError);
    scanForSecrets('normalizeConnectorTask error', error);
    return error as UpstreamContractError;
  }
  throw new Error('expected normalizeConnectorTask to reject the body');
}

describe('normalizeConnectorTask with valid bodies', () => {
  it('normalizes the API page example response to the published shape', () => {
    const expected: ConnectorTask = {
      id: '194917d0-****-****-****-********',
      name: 'smart-connect-121248117',
      status: 'RUNNING',
      createdAt: '2024-02-20T11:15:53.133Z',
      topics: ['topic-1643449744'],
      topicsRegex: null,
      source: {
        type: 'KAFKA_REPLICATOR_SOURCE',
        currentClusterName: 'A',
        clusterName: 'B',
        userName: '',
        saslMechanism: 'PLAIN',
        peerInstanceId: '59f6d088-****-****-****-********',
        bootstrapServers: [
          '192.168.45.58:9092',
          '192.168.44.1:9092',
          '192.168.41.230:9092',
          '192.168.43.112:9092',
        ],
        securityProtocol: 'PLAINTEXT',
        direction: 'pull',
        syncConsumerOffsetsEnabled: false,
        replicationFactor: 3,
        taskCount: 2,
        renameTopicEnabled: false,
        provenanceHeaderEnabled: false,
        consumerStrategy: 'earliest',
        compressionType: 'none',
        topicsMapping: [],
      },
      sink: null,
    };

    const task = normalizeConnectorTask(apiPageExample);

    expect(task).toStrictEqual(expected);
  });

  it('normalizes an OBS sink task with every sink setting', () => {
    const expected: ConnectorTask = {
      id: '8a1f3c52-6d4e-4b7a-9c0d-2e5f7a9b1c3d',
      name: 'smart-connect-obs-dump',
      status: 'PAUSED',
      createdAt: '2024-11-15T12:00:00.000Z',
      topics: ['orders', 'payments'],
      topicsRegex: null,
      source: null,
      sink: {
        type: 'OBS_SINK',
        consumerStrategy: 'latest',
        destinationFileType: 'TEXT',
        deliverTimeIntervalSeconds: 300,
        obsBucketName: 'kafka-dump-bucket',
        obsPath: 'dumps/orders',
        partitionFormat: 'yyyy/MM/dd/HH/mm',
        recordDelimiter: '\n',
        storeKeys: true,
        obsPartSizeBytes: 5242880,
        flushSize: 1000000,
        timezone: 'Asia/Chongqing',
        schemaGeneratorClass: 'io.confluent.connect.storage.hive.schema.DefaultSchemaGenerator',
        partitionerClass: 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
        valueConverter: 'org.apache.kafka.connect.converters.ByteArrayConverter',
        keyConverter: 'org.apache.kafka.connect.converters.ByteArrayConverter',
        kvDelimiter: ':',
      },
    };

    const task = normalizeConnectorTask(obsSinkExample);

    expect(task).toStrictEqual(expected);
  });

  it('reports every absent field as null or an empty list, never leaving a key out', () => {
    const body = MINIMAL_BODY;

    const task = normalizeConnectorTask(body);

    expect(task).toStrictEqual({
      id: MINIMAL_BODY.id,
      name: null,
      status: 'RUNNING',
      createdAt: null,
      topics: [],
      topicsRegex: null,
      source: null,
      sink: null,
    });
  });

  it('treats explicit nulls the same as omitted fields', () => {
    const body = withFields({
      task_name: null,
      topics: null,
      topics_regex: null,
      source_type: null,
      source_task: null,
      sink_type: null,
      sink_task: null,
      create_time: null,
    });

    const task = normalizeConnectorTask(body);

    expect(task).toStrictEqual(normalizeConnectorTask(MINIMAL_BODY));
  });

  it.each(['RUNNING', 'PAUSED', 'WAITING', 'RESTARTING', 'CREATING'])(
    'passes the documented status %s through',
    (status) => {
      const body = withFields({ status });

      const task = normalizeConnectorTask(body);

      expect(task.status).toBe(status);
    },
  );

  it('accepts a status Huawei has not documented, unchanged', () => {
    const body = withFields({ status: 'MIGRATING_TO_NEW_CLUSTER' });

    const task = normalizeConnectorTask(body);

    expect(task.status).toBe('MIGRATING_TO_NEW_CLUSTER');
  });

  it('passes undocumented values of enumerated settings through unchanged', () => {
    const body = withFields({
      source_type: 'KAFKA_REPLICATOR_SOURCE',
      source_task: {
        direction: 'sideways',
        consumer_strategy: 'from-timestamp',
        compression_type: 'brotli',
        security_protocol: 'SSL',
        sasl_mechanism: 'OAUTHBEARER',
      },
      sink_type: 'OBS_SINK',
      sink_task: { destination_file_type: 'PARQUET' },
    });

    const task = normalizeConnectorTask(body);

    expect(task.source).toMatchObject({
      direction: 'sideways',
      consumerStrategy: 'from-timestamp',
      compressionType: 'brotli',
      securityProtocol: 'SSL',
      saslMechanism: 'OAUTHBEARER',
    });
    expect(task.sink).toMatchObject({ destinationFileType: 'PARQUET' });
  });

  it('drops fields the contract does not name, at every level', () => {
    const body = withFields({
      ak: CANARY,
      source_type: 'KAFKA_REPLICATOR_SOURCE',
      source_task: { cluster_name: 'B', password: CANARY },
      sink_type: 'OBS_SINK',
      sink_task: { obs_path: 'dumps', access_key: CANARY },
    });

    const task = normalizeConnectorTask(body);

    expect(JSON.stringify(task)).not.toContain(CANARY);
    expect(Object.keys(task).sort()).toEqual(
      ['createdAt', 'id', 'name', 'sink', 'source', 'status', 'topics', 'topicsRegex'].sort(),
    );
  });

  it('converts the epoch-millisecond create_time to an ISO 8601 UTC timestamp', () => {
    const body = withFields({ create_time: 0 });

    const task = normalizeConnectorTask(body);

    expect(task.createdAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('splits comma-separated lists, trimming items and dropping empty ones', () => {
    const body = withFields({
      topics: ' orders, ,payments ,,refunds,',
      source_type: 'KAFKA_REPLICATOR_SOURCE',
      source_task: {
        bootstrap_servers: '10.0.0.1:9092 , 10.0.0.2:9092,',
        topics_mapping: 'a:b, c:d',
      },
    });

    const task = normalizeConnectorTask(body);

    expect(task.topics).toEqual(['orders', 'payments', 'refunds']);
    expect(task.source).toMatchObject({
      bootstrapServers: ['10.0.0.1:9092', '10.0.0.2:9092'],
      topicsMapping: ['a:b', 'c:d'],
    });
  });

  it.each([' ', ',', ' , ,, '])('turns a list of nothing but separators (%j) into []', (topics) => {
    const body = withFields({ topics });

    const task = normalizeConnectorTask(body);

    expect(task.topics).toEqual([]);
  });

  it.each(['NONE', ''])(
    'reports no source or sink for type %j, ignoring leftover settings',
    (type) => {
      const body = withFields({
        source_type: type,
        source_task: { cluster_name: 'B' },
        sink_type: type,
        sink_task: { obs_path: 'dumps' },
      });

      const task = normalizeConnectorTask(body);

      expect(task.source).toBeNull();
      expect(task.sink).toBeNull();
    },
  );

  it('reports a replication source with unknown settings when source_task is missing', () => {
    const body = withFields({ source_type: 'KAFKA_REPLICATOR_SOURCE', source_task: null });

    const task = normalizeConnectorTask(body);

    expect(task.source).toStrictEqual({
      type: 'KAFKA_REPLICATOR_SOURCE',
      currentClusterName: null,
      clusterName: null,
      userName: null,
      saslMechanism: null,
      peerInstanceId: null,
      bootstrapServers: [],
      securityProtocol: null,
      direction: null,
      syncConsumerOffsetsEnabled: null,
      replicationFactor: null,
      taskCount: null,
      renameTopicEnabled: null,
      provenanceHeaderEnabled: null,
      consumerStrategy: null,
      compressionType: null,
      topicsMapping: [],
    });
  });

  it('reports an OBS sink with unknown settings when sink_task is missing', () => {
    const body = withFields({ sink_type: 'OBS_SINK' });

    const task = normalizeConnectorTask(body);

    expect(task.sink).toMatchObject({ type: 'OBS_SINK', obsBucketName: null, storeKeys: null });
  });

  it('reports an undocumented source type as UNSUPPORTED with its upstream name', () => {
    const body = withFields({ source_type: 'MYSQL_CDC_SOURCE', source_task: { table: 'orders' } });

    const task = normalizeConnectorTask(body);

    expect(task.source).toStrictEqual({ type: 'UNSUPPORTED', upstreamType: 'MYSQL_CDC_SOURCE' });
  });

  it('reports an undocumented sink type as UNSUPPORTED with its upstream name', () => {
    const body = withFields({ sink_type: 'S3_SINK' });

    const task = normalizeConnectorTask(body);

    expect(task.sink).toStrictEqual({ type: 'UNSUPPORTED', upstreamType: 'S3_SINK' });
  });
});

describe('normalizeConnectorTask with bodies outside the contract', () => {
  it.each([
    ['id is missing', { status: 'RUNNING' }, 'id: missing'],
    ['id is empty', withFields({ id: '' }), 'id: empty'],
    ['id is null', withFields({ id: null }), 'id: expected string, got null'],
    ['id is a number', withFields({ id: 42 }), 'id: expected string, got integer'],
    ['status is missing', { id: MINIMAL_BODY.id }, 'status: missing'],
    ['status is empty', withFields({ status: '' }), 'status: empty'],
    ['status is an object', withFields({ status: {} }), 'status: expected string, got object'],
  ])('rejects a body whose %s', (_case, body, problem) => {
    const error = contractErrorFrom(body);

    expect(error.message).toContain(problem);
  });

  it.each([
    ['create_time is an object', { create_time: {} }, 'create_time: expected number, got object'],
    ['create_time is a string', { create_time: '1708427753133' }, 'create_time: expected number'],
    ['create_time is fractional', { create_time: 1.5 }, 'create_time: expected integer'],
    ['create_time is before 1970', { create_time: -1 }, 'create_time: below the accepted range'],
    ['create_time is past year 9999', { create_time: 8.64e15 }, 'create_time: above the accepted'],
    ['create_time is beyond any Date', { create_time: 8.64e15 + 1 }, 'create_time: above the'],
    ['create_time is not a safe integer', { create_time: 1e300 }, 'create_time: above the'],
    ['create_time is NaN', { create_time: NaN }, 'create_time: expected number, got NaN'],
    ['create_time is infinite', { create_time: Infinity }, 'create_time: expected number'],
    ['topics is an array', { topics: ['a'] }, 'topics: expected string, got array'],
    ['task_name is a boolean', { task_name: true }, 'task_name: expected string, got boolean'],
    ['source_task is a string', { source_task: 'x' }, 'source_task: expected object, got string'],
    ['sink_task is an array', { sink_task: [] }, 'sink_task: expected object, got array'],
    ['task_num is a string', { source_task: { task_num: '2' } }, 'source_task.task_num: expected'],
    ['task_num is a bigint', { source_task: { task_num: 2n } }, 'source_task.task_num: expected'],
    ['store_keys is a string', { sink_task: { store_keys: 'true' } }, 'sink_task.store_keys: exp'],
    ['obs_part_size is huge', { sink_task: { obs_part_size: 2 ** 60 } }, 'obs_part_size: above'],
  ])('rejects a body whose %s', (_case, fields, problem) => {
    const error = contractErrorFrom(withFields(fields));

    expect(error.message).toContain(problem);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', '{"id":"x","status":"RUNNING"}'],
    ['a number', 42],
    ['a boolean', true],
    ['an empty array', []],
    ['an array holding a valid task', [MINIMAL_BODY]],
  ])('rejects %s as the body', (_case, body) => {
    const error = contractErrorFrom(body);

    expect(error.message).toMatch(/body: (missing|expected object, got \w+)/);
  });

  it('is the service contract error, answered to callers as a 502', () => {
    const error = contractErrorFrom({});

    expect(error.name).toBe('UpstreamContractError');
    expect(error.code).toBe('UPSTREAM_CONTRACT_VIOLATION');
    expect(error.httpStatus).toBe(502);
  });

  it('names every offending field, up to a limit, with a count of the rest', () => {
    const body = {
      id: 1,
      status: 2,
      task_name: 3,
      topics: 4,
      topics_regex: 5,
      source_type: 6,
      sink_type: 7,
    };

    const error = contractErrorFrom(body);

    expect(error.message).toContain('id: expected string');
    expect(error.message).toContain('status: expected string');
    expect(error.message).toContain('2 more');
  });

  it.each([
    ['a wrongly typed field', withFields({ create_time: CANARY })],
    ['a wrongly typed nested field', withFields({ source_task: { task_num: CANARY } })],
    ['an object where a string belongs', withFields({ id: { secret: CANARY } })],
    ['a list where a string belongs', withFields({ status: [CANARY] })],
    ['a whole-body string', CANARY],
    ['a whole-body array', [CANARY]],
  ])('never repeats a received value in its report (%s)', (_case, body) => {
    const error = contractErrorFrom(body);

    expect(error.message).not.toContain(CANARY);
    // inspect() also shows the stack, the cause chain and every own property.
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
  });

  it('never repeats a received number in its report', () => {
    const body = withFields({ topics: 8675309123 });

    const error = contractErrorFrom(body);

    expect(error.message).not.toContain('8675309123');
  });

  it('rejects a body that throws while being read instead of throwing itself', () => {
    const body = {
      ...MINIMAL_BODY,
      get task_name(): string {
        throw new Error(CANARY);
      },
    };

    const error = contractErrorFrom(body);

    expect(error.message).not.toContain(CANARY);
  });

  it('reports a body whose getter throws as unreadable', () => {
    const body = {
      ...MINIMAL_BODY,
      get task_name(): string {
        throw new Error(CANARY);
      },
    };

    const error = contractErrorFrom(body);

    expect(error.message).toContain('the ShowConnectorTask body could not be read');
  });

  it('reports a proxy that throws on every read as unreadable', () => {
    const body = new Proxy(MINIMAL_BODY, {
      get() {
        throw new Error(CANARY);
      },
    });

    const error = contractErrorFrom(body);

    expect(error.message).toContain('the ShowConnectorTask body could not be read');
  });

  it('reports a proxy whose every read succeeds but which throws when asked for a key as unreadable', () => {
    const body = new Proxy(MINIMAL_BODY, {
      has() {
        throw new Error(CANARY);
      },
    });

    const error = contractErrorFrom(body);

    expect(error.message).toContain('the ShowConnectorTask body could not be read');
  });
});

describe('normalizeConnectorTask and what can be stored and published', () => {
  it('refuses a task whose normalized form exceeds the size an event and its pending record can carry', () => {
    const body = { id: 't', status: 'RUNNING', topics: 'x'.repeat(MAX_NORMALIZED_TASK_BYTES) };

    expect(() => normalizeConnectorTask(body)).toThrow(UpstreamContractError);
  });

  it('accepts a task just under that size', () => {
    const body = {
      id: 't',
      status: 'RUNNING',
      topics: 'x'.repeat(MAX_NORMALIZED_TASK_BYTES - 1024),
    };

    expect(normalizeConnectorTask(body).topics).toHaveLength(1);
  });

  it('refuses text with a lone UTF-16 surrogate, which is not valid Unicode', () => {
    const body = JSON.parse('{"id":"t","status":"\\ud800"}') as unknown;

    expect(() => normalizeConnectorTask(body)).toThrow(/not valid Unicode/);
  });

  it('refuses a lone low surrogate too', () => {
    const body = JSON.parse('{"id":"t","status":"RUNNING","task_name":"a\\udc00b"}') as unknown;

    expect(() => normalizeConnectorTask(body)).toThrow(/not valid Unicode/);
  });

  it('accepts text that only reads like a surrogate escape (a backslash, then "ud800")', () => {
    const body = { id: 't', status: 'RUNNING', task_name: 'C:\\ud800' };

    expect(normalizeConnectorTask(body).name).toBe('C:\\ud800');
  });

  it('accepts astral characters written as surrogate pairs', () => {
    const body = { id: 't', status: 'RUNNING', task_name: 'replicate 😀' };

    expect(normalizeConnectorTask(body).name).toBe('replicate 😀');
  });
});
