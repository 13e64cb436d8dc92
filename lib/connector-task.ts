import * as z from 'zod/mini';
import { UpstreamContractError } from './errors';
import { LATEST_REPRESENTABLE_EPOCH_MS } from './representable-time';
import { readUpstreamTask } from './upstream-task-reader';

/*
 * Two schemas: what Huawei sends (`ShowConnectorTask`, snake_case, most fields may be omitted)
 * and what we publish (camelCase, every key always present). Callers only ever see the second;
 * the mapping between them is the one place that knows Huawei's naming and encodings.
 */

/**
 * Values documented or observed so far. They are descriptions, not enums: Huawei adds values
 * without notice, and a new compression codec must not make a task's status unreadable.
 */
const KNOWN_VALUES = {
  status: ['RUNNING', 'PAUSED', 'WAITING', 'RESTARTING', 'CREATING'],
  sourceType: ['KAFKA_REPLICATOR_SOURCE', 'NONE'],
  sinkType: ['OBS_SINK', 'NONE'],
  direction: ['pull', 'push', 'two-way'],
  consumerStrategy: ['latest', 'earliest'],
  compressionType: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  securityProtocol: ['PLAINTEXT', 'SASL_SSL', 'SASL_PLAINTEXT'],
  saslMechanism: ['PLAIN', 'SCRAM-SHA-512'],
  destinationFileType: ['TEXT'],
} as const;

function withKnownValues(description: string, known: readonly string[]): string {
  return `${description} Known values: ${known.join(', ')}; any other value is passed through unchanged.`;
}

// ---------------------------------------------------------------------------------------------
// Upstream: Huawei's 200 body. Omitted and null are both accepted (Huawei leaves out whatever does
// not apply), but a present value of the wrong type is a broken contract, not something to guess.

const upstreamText = (description: string) => z.nullish(z.string()).check(z.describe(description));
const upstreamFlag = (description: string) => z.nullish(z.boolean()).check(z.describe(description));
const upstreamCount = (description: string) =>
  z.nullish(z.number().check(z.int())).check(z.describe(description));

export const upstreamSourceTaskSchema = z
  .object({
    current_cluster_name: upstreamText('Alias of this Kafka instance.'),
    cluster_name: upstreamText('Alias of the peer Kafka instance.'),
    user_name: upstreamText('User name on the peer Kafka instance.'),
    sasl_mechanism: upstreamText(
      withKnownValues('SASL mechanism of the peer.', KNOWN_VALUES.saslMechanism),
    ),
    instance_id: upstreamText('ID of the peer Kafka instance.'),
    bootstrap_servers: upstreamText('Comma-separated host:port list of the peer.'),
    security_protocol: upstreamText(
      withKnownValues('Security protocol of the peer.', KNOWN_VALUES.securityProtocol),
    ),
    direction: upstreamText(withKnownValues('Replication direction.', KNOWN_VALUES.direction)),
    sync_consumer_offsets_enabled: upstreamFlag('Whether consumer offsets are replicated.'),
    replication_factor: upstreamCount('Replication factor of the topics it creates.'),
    task_num: upstreamCount('Number of connector tasks.'),
    rename_topic_enabled: upstreamFlag('Whether replicated topics are renamed.'),
    provenance_header_enabled: upstreamFlag('Whether a provenance header is added.'),
    consumer_strategy: upstreamText(
      withKnownValues('Where consumption starts.', KNOWN_VALUES.consumerStrategy),
    ),
    compression_type: upstreamText(
      withKnownValues('Compression of replicated records.', KNOWN_VALUES.compressionType),
    ),
    topics_mapping: upstreamText('Comma-separated topic mappings.'),
  })
  .check(z.describe('Kafka-to-Kafka replication settings; only for KAFKA_REPLICATOR_SOURCE.'));

export const upstreamSinkTaskSchema = z
  .object({
    consumer_strategy: upstreamText(
      withKnownValues('Where dumping starts.', KNOWN_VALUES.consumerStrategy),
    ),
    destination_file_type: upstreamText(
      withKnownValues('Format of the dumped files.', KNOWN_VALUES.destinationFileType),
    ),
    deliver_time_interval: upstreamCount('Dump period, in seconds.'),
    obs_bucket_name: upstreamText('OBS bucket the records are dumped to.'),
    obs_path: upstreamText('Directory inside the bucket.'),
    partition_format: upstreamText('Time-based directory format.'),
    record_delimiter: upstreamText('Delimiter between records.'),
    store_keys: upstreamFlag('Whether record keys are stored.'),
    obs_part_size: upstreamCount('Size in bytes at which a part is uploaded (default 5242880).'),
    flush_size: upstreamCount('Number of records per flush.'),
    timezone: upstreamText('Time zone of the directory format.'),
    schema_generator_class: upstreamText('Schema generator class.'),
    partitioner_class: upstreamText('Partitioner class.'),
    value_converter: upstreamText('Value converter class.'),
    key_converter: upstreamText('Key converter class.'),
    kv_delimiter: upstreamText('Delimiter between key and value (default ":").'),
  })
  .check(z.describe('OBS dump settings; only for OBS_SINK.'));

export const upstreamConnectorTaskSchema = z
  .object({
    id: z.string().check(z.minLength(1), z.describe('Task ID.')),
    status: z
      .string()
      .check(
        z.minLength(1),
        z.describe(
          withKnownValues('Task status; Huawei calls the range open.', KNOWN_VALUES.status),
        ),
      ),
    task_name: upstreamText('Task name.'),
    topics: upstreamText('Comma-separated topic names.'),
    topics_regex: upstreamText('Regular expression selecting topics.'),
    source_type: upstreamText(withKnownValues('Source type.', KNOWN_VALUES.sourceType)),
    source_task: z.nullish(upstreamSourceTaskSchema),
    sink_type: upstreamText(withKnownValues('Sink type.', KNOWN_VALUES.sinkType)),
    sink_task: z.nullish(upstreamSinkTaskSchema),
    create_time: z
      .nullish(z.number().check(z.int(), z.minimum(0), z.maximum(LATEST_REPRESENTABLE_EPOCH_MS)))
      .check(z.describe('Creation time, epoch milliseconds.')),
  })
  .check(z.describe('ShowConnectorTask 200 response body. Fields not listed here are dropped.'));

export type UpstreamConnectorTask = z.infer<typeof upstreamConnectorTaskSchema>;
type UpstreamSourceTask = z.infer<typeof upstreamSourceTaskSchema>;
type UpstreamSinkTask = z.infer<typeof upstreamSinkTaskSchema>;

// ---------------------------------------------------------------------------------------------
// Published: the stable shape. Every key is always present so consumers never have to tell
// "absent" from "undefined"; these descriptions are the JSON Schema and OpenAPI documentation.

const text = (description: string) => z.nullable(z.string()).check(z.describe(description));
const flag = (description: string) => z.nullable(z.boolean()).check(z.describe(description));
const count = (description: string) =>
  z.nullable(z.number().check(z.int())).check(z.describe(description));
const list = (description: string) =>
  z.array(z.string().check(z.minLength(1))).check(z.describe(description));

const NULL_WHEN_ABSENT = 'Null when Huawei does not report it.';

const kafkaReplicatorSourceSchema = z
  .object({
    type: z.literal('KAFKA_REPLICATOR_SOURCE').check(z.describe('Kafka-to-Kafka replication.')),
    currentClusterName: text(`Alias of this Kafka instance. ${NULL_WHEN_ABSENT}`),
    clusterName: text(`Alias of the peer Kafka instance. ${NULL_WHEN_ABSENT}`),
    userName: text(
      `User name on the peer Kafka instance, as reported (may be empty when the peer needs no authentication). ${NULL_WHEN_ABSENT}`,
    ),
    saslMechanism: text(
      withKnownValues(
        `SASL mechanism of the peer. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.saslMechanism,
      ),
    ),
    peerInstanceId: text(`ID of the peer Kafka instance. ${NULL_WHEN_ABSENT}`),
    bootstrapServers: list('host:port addresses of the peer; empty when Huawei reports none.'),
    securityProtocol: text(
      withKnownValues(
        `Security protocol of the peer. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.securityProtocol,
      ),
    ),
    direction: text(
      withKnownValues(
        `Replication direction relative to this instance. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.direction,
      ),
    ),
    syncConsumerOffsetsEnabled: flag(
      `Whether consumer offsets are replicated. ${NULL_WHEN_ABSENT}`,
    ),
    replicationFactor: count(`Replication factor of the topics it creates. ${NULL_WHEN_ABSENT}`),
    taskCount: count(`Number of connector tasks. ${NULL_WHEN_ABSENT}`),
    renameTopicEnabled: flag(`Whether replicated topics are renamed. ${NULL_WHEN_ABSENT}`),
    provenanceHeaderEnabled: flag(
      `Whether a header naming the source cluster is added. ${NULL_WHEN_ABSENT}`,
    ),
    consumerStrategy: text(
      withKnownValues(
        `Where consumption starts. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.consumerStrategy,
      ),
    ),
    compressionType: text(
      withKnownValues(
        `Compression of replicated records. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.compressionType,
      ),
    ),
    topicsMapping: list('Topic mappings as Huawei writes them; empty when there are none.'),
  })
  .check(z.describe('Settings of a Kafka-to-Kafka replication source.'));

const obsSinkSchema = z
  .object({
    type: z.literal('OBS_SINK').check(z.describe('Dump to OBS object storage.')),
    consumerStrategy: text(
      withKnownValues(`Where dumping starts. ${NULL_WHEN_ABSENT}`, KNOWN_VALUES.consumerStrategy),
    ),
    destinationFileType: text(
      withKnownValues(
        `Format of the dumped files. ${NULL_WHEN_ABSENT}`,
        KNOWN_VALUES.destinationFileType,
      ),
    ),
    deliverTimeIntervalSeconds: count(`Dump period, in seconds. ${NULL_WHEN_ABSENT}`),
    obsBucketName: text(`OBS bucket the records are dumped to. ${NULL_WHEN_ABSENT}`),
    obsPath: text(`Directory inside the bucket. ${NULL_WHEN_ABSENT}`),
    partitionFormat: text(`Time-based directory format. ${NULL_WHEN_ABSENT}`),
    recordDelimiter: text(`Delimiter between records. ${NULL_WHEN_ABSENT}`),
    storeKeys: flag(`Whether record keys are stored. ${NULL_WHEN_ABSENT}`),
    obsPartSizeBytes: count(`Size in bytes at which a part is uploaded. ${NULL_WHEN_ABSENT}`),
    flushSize: count(`Number of records per flush. ${NULL_WHEN_ABSENT}`),
    timezone: text(`Time zone of the directory format. ${NULL_WHEN_ABSENT}`),
    schemaGeneratorClass: text(`Schema generator class. ${NULL_WHEN_ABSENT}`),
    partitionerClass: text(`Partitioner class. ${NULL_WHEN_ABSENT}`),
    valueConverter: text(`Value converter class. ${NULL_WHEN_ABSENT}`),
    keyConverter: text(`Key converter class. ${NULL_WHEN_ABSENT}`),
    kvDelimiter: text(`Delimiter between key and value. ${NULL_WHEN_ABSENT}`),
  })
  .check(z.describe('Settings of a dump to OBS object storage.'));

/** Lets a new Huawei type through as a name instead of failing the whole read. */
const unsupportedEndpointSchema = (side: 'source' | 'sink') =>
  z
    .object({
      type: z
        .literal('UNSUPPORTED')
        .check(z.describe(`A ${side} type this service does not interpret.`)),
      upstreamType: z
        .string()
        .check(z.minLength(1), z.describe(`The ${side} type exactly as Huawei reports it.`)),
    })
    .check(z.describe(`A ${side} type this service does not know yet; only its name is reported.`));

const connectorTaskSourceSchema = z
  .nullable(
    z.discriminatedUnion('type', [
      kafkaReplicatorSourceSchema,
      unsupportedEndpointSchema('source'),
    ]),
  )
  .check(
    z.describe(
      'Where the task reads from; null when it has none (source type NONE, empty or absent).',
    ),
  );

const connectorTaskSinkSchema = z
  .nullable(z.discriminatedUnion('type', [obsSinkSchema, unsupportedEndpointSchema('sink')]))
  .check(
    z.describe(
      'Where the task writes to; null when it has none (sink type NONE, empty or absent).',
    ),
  );

export const connectorTaskSchema = z
  .object({
    id: z.string().check(z.minLength(1), z.describe('Smart Connect task ID.')),
    name: text(`Task name. ${NULL_WHEN_ABSENT}`),
    status: z
      .string()
      .check(
        z.minLength(1),
        z.describe(
          withKnownValues(
            'Task status as Huawei reports it. The range is open: expect values not listed here.',
            KNOWN_VALUES.status,
          ),
        ),
      ),
    createdAt: z
      .nullable(z.iso.datetime())
      .check(z.describe(`When the task was created, ISO 8601 in UTC. ${NULL_WHEN_ABSENT}`)),
    topics: list('Topics the task reads; empty when Huawei reports none.'),
    topicsRegex: text(`Regular expression selecting topics. ${NULL_WHEN_ABSENT}`),
    source: connectorTaskSourceSchema,
    sink: connectorTaskSinkSchema,
  })
  .check(z.describe('A Huawei Cloud DMS for Kafka Smart Connect task.'));

export type ConnectorTask = z.infer<typeof connectorTaskSchema>;
export type ConnectorTaskSource = z.infer<typeof connectorTaskSourceSchema>;
export type ConnectorTaskSink = z.infer<typeof connectorTaskSinkSchema>;

// ---------------------------------------------------------------------------------------------
// Normalization.

/**
 * Turns a ShowConnectorTask 200 body (or a ListConnectorTasks entity, which has the same fields)
 * into the published shape. Throws `UpstreamContractError` and nothing else, whatever `body` is;
 * `what` names the body in its reason.
 */
export function normalizeConnectorTask(
  body: unknown,
  what = 'the ShowConnectorTask body',
): ConnectorTask {
  const task = parseUpstream(body, what);
  return assertStorable({
    id: task.id,
    name: task.task_name ?? null,
    status: task.status,
    createdAt: task.create_time == null ? null : new Date(task.create_time).toISOString(),
    topics: commaList(task.topics),
    topicsRegex: task.topics_regex ?? null,
    source: toSource(task.source_type, task.source_task),
    sink: toSink(task.sink_type, task.sink_task),
  });
}

/**
 * A normalized task travels in the task's DynamoDB item (400 KB), its stream record and its
 * EventBridge event (256 KB per entry, and per PutEvents request); real tasks are a few KB. Larger ones, or
 * text with lone UTF-16 surrogates (not valid Unicode, refused or mangled downstream), are
 * contract violations here rather than failures of every later write.
 */
export const MAX_NORMALIZED_TASK_BYTES = 64 * 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function assertStorable(task: ConnectorTask): ConnectorTask {
  const serialized = JSON.stringify(task);
  // JSON.stringify writes a lone surrogate as a \udXXX escape; with none in the text (nearly
  // always) every string is well formed, and the slower walk over each string is skipped. It was
  // a tenth of a poll's CPU per listed task.
  if (serialized.includes('\\ud') && hasLoneSurrogate(task)) {
    throw new UpstreamContractError('the task contains text that is not valid Unicode');
  }
  if (Buffer.byteLength(serialized, 'utf8') > MAX_NORMALIZED_TASK_BYTES) {
    throw new UpstreamContractError(`the task is larger than ${MAX_NORMALIZED_TASK_BYTES} bytes`);
  }
  return task;
}

function hasLoneSurrogate(task: ConnectorTask): boolean {
  let malformed = false;
  JSON.stringify(task, (_key, value: unknown) => {
    if (typeof value === 'string' && LONE_SURROGATE.test(value)) malformed = true;
    return value;
  });
  return malformed;
}

function parseUpstream(body: unknown, what: string): UpstreamConnectorTask {
  // zod is a tenth of a poll's CPU; the reader answers for the bodies Huawei sends and leaves
  // every other one, and every report of what is wrong, to zod.
  const read = readUpstreamTask(body);
  if (read !== undefined) return read;
  let result: ReturnType<typeof upstreamConnectorTaskSchema.safeParse>;
  try {
    // The inputs are kept on the issues only to name their kind; they never leave this module.
    result = upstreamConnectorTaskSchema.safeParse(body, { reportInput: true });
  } catch {
    // JSON cannot get here; only a hostile object can (a throwing getter, a revoked proxy).
    throw new UpstreamContractError(`${what} could not be read`);
  }
  if (!result.success) {
    throw new UpstreamContractError(`${what} is invalid (${describeIssues(result.error.issues)})`);
  }
  return result.data;
}

function commaList(value: string | null | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** An empty type says no more than an absent one; neither is a new kind of endpoint. */
function isAbsentType(type: string | null | undefined): type is '' | 'NONE' | null | undefined {
  return type == null || type === '' || type === 'NONE';
}

/*
 * The type is authoritative, the settings object is not: NONE with leftover settings is no
 * source. KAFKA_REPLICATOR_SOURCE without settings is still a replication source, with every
 * setting unknown (null): the same answer as an empty settings object, which each field being
 * optional already allows. Failing the read would hide the task's status for want of details,
 * and a null source would claim there is none.
 */
function toSource(
  type: string | null | undefined,
  settings: UpstreamSourceTask | null | undefined,
): ConnectorTaskSource {
  if (isAbsentType(type)) return null;
  if (type !== 'KAFKA_REPLICATOR_SOURCE') return { type: 'UNSUPPORTED', upstreamType: type };
  const s = settings ?? {};
  return {
    type: 'KAFKA_REPLICATOR_SOURCE',
    currentClusterName: s.current_cluster_name ?? null,
    clusterName: s.cluster_name ?? null,
    userName: s.user_name ?? null,
    saslMechanism: s.sasl_mechanism ?? null,
    peerInstanceId: s.instance_id ?? null,
    bootstrapServers: commaList(s.bootstrap_servers),
    securityProtocol: s.security_protocol ?? null,
    direction: s.direction ?? null,
    syncConsumerOffsetsEnabled: s.sync_consumer_offsets_enabled ?? null,
    replicationFactor: s.replication_factor ?? null,
    taskCount: s.task_num ?? null,
    renameTopicEnabled: s.rename_topic_enabled ?? null,
    provenanceHeaderEnabled: s.provenance_header_enabled ?? null,
    consumerStrategy: s.consumer_strategy ?? null,
    compressionType: s.compression_type ?? null,
    topicsMapping: commaList(s.topics_mapping),
  };
}

/** Same rules as the source: the type decides, missing settings are unknown settings. */
function toSink(
  type: string | null | undefined,
  settings: UpstreamSinkTask | null | undefined,
): ConnectorTaskSink {
  if (isAbsentType(type)) return null;
  if (type !== 'OBS_SINK') return { type: 'UNSUPPORTED', upstreamType: type };
  const s = settings ?? {};
  return {
    type: 'OBS_SINK',
    consumerStrategy: s.consumer_strategy ?? null,
    destinationFileType: s.destination_file_type ?? null,
    deliverTimeIntervalSeconds: s.deliver_time_interval ?? null,
    obsBucketName: s.obs_bucket_name ?? null,
    obsPath: s.obs_path ?? null,
    partitionFormat: s.partition_format ?? null,
    recordDelimiter: s.record_delimiter ?? null,
    storeKeys: s.store_keys ?? null,
    obsPartSizeBytes: s.obs_part_size ?? null,
    flushSize: s.flush_size ?? null,
    timezone: s.timezone ?? null,
    schemaGeneratorClass: s.schema_generator_class ?? null,
    partitionerClass: s.partitioner_class ?? null,
    valueConverter: s.value_converter ?? null,
    keyConverter: s.key_converter ?? null,
    kvDelimiter: s.kv_delimiter ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Safe problem reports. Upstream text may carry secrets (Huawei echoes AKs and canonical requests
// in places), so a report names where and what kind of problem, never what was received.

/** Enough to locate the problem; a body wrong everywhere should not make a huge message. */
const MAX_REPORTED_ISSUES = 5;

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  // One value can break two rules (1e300 is neither a safe integer nor a plausible time).
  const distinct = [...new Set(issues.map(describeIssue))];
  const reported = distinct.slice(0, MAX_REPORTED_ISSUES);
  const unreported = distinct.length - reported.length;
  return [...reported, ...(unreported > 0 ? [`${unreported} more`] : [])].join('; ');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${fieldPath(issue.path)}: ${problemKind(issue)}`;
}

/** Paths come from our schema's keys; anything else is masked rather than trusted. */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((segment) =>
      typeof segment === 'number' || /^[A-Za-z0-9_]{1,64}$/.test(String(segment))
        ? String(segment)
        : '?',
    )
    .join('.');
}

function problemKind(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'missing'
        : `expected ${expectedKind(issue.expected)}, got ${receivedKind(issue.input)}`;
    case 'too_small':
      return issue.origin === 'string' ? 'empty' : 'below the accepted range';
    case 'too_big':
      return 'above the accepted range';
    default:
      return 'invalid';
  }
}

function expectedKind(expected: string): string {
  return expected === 'int' ? 'integer' : expected;
}

/** A kind, never a value: even a number could be an identifier someone would rather not log. */
function receivedKind(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'number') {
    if (Number.isNaN(input)) return 'NaN';
    if (!Number.isFinite(input)) return 'non-finite number';
    return Number.isInteger(input) ? 'integer' : 'fractional number';
  }
  return typeof input;
}
