import { isProxy } from 'node:util/types';
import type { UpstreamConnectorTask } from './connector-task';
import { LATEST_REPRESENTABLE_EPOCH_MS } from './representable-time';

/*
 * upstreamConnectorTaskSchema.safeParse was about a tenth of a poll's CPU (one call per listed
 * task) and a visible share of a warm HTTP request. This is the same contract written out by hand
 * for the bodies Huawei actually sends. It may only ever answer for bodies zod accepts: whenever
 * it is not certain, it declines and zod judges the body, so every rejection and its reason are
 * still zod's. Declining is always safe; accepting a body zod would reject is a bug.
 *
 * The fields are listed in the schema's order, so a body is read the way zod reads it: each field
 * once, nested settings as soon as they are reached. What the caller maps is what was checked,
 * even for a getter that answers differently on a second read.
 */

/** Thrown only to leave the read early; prebuilt, so declining does not capture a stack. */
const DECLINED = new Error('declined by the upstream task reader');

/** The ShowConnectorTask body as zod would parse it, or undefined to let zod decide. */
export function readUpstreamTask(body: unknown): UpstreamConnectorTask | undefined {
  try {
    return readTask(body);
  } catch {
    // DECLINED, or whatever a hostile body threw: zod reads it again and reports it.
    return undefined;
  }
}

type UpstreamSourceTask = NonNullable<UpstreamConnectorTask['source_task']>;
type UpstreamSinkTask = NonNullable<UpstreamConnectorTask['sink_task']>;

function readTask(body: unknown): UpstreamConnectorTask {
  const b = plainObject(body);
  return {
    id: nonEmptyText(b.id),
    status: nonEmptyText(b.status),
    task_name: text(b.task_name),
    topics: text(b.topics),
    topics_regex: text(b.topics_regex),
    source_type: text(b.source_type),
    // Validated whatever source_type says: zod does, and a bad one rejects the whole body.
    source_task: settings(b.source_task, readSourceTask),
    sink_type: text(b.sink_type),
    sink_task: settings(b.sink_task, readSinkTask),
    create_time: epochMs(b.create_time),
  };
}

function readSourceTask(value: unknown): UpstreamSourceTask {
  const s = plainObject(value);
  return {
    current_cluster_name: text(s.current_cluster_name),
    cluster_name: text(s.cluster_name),
    user_name: text(s.user_name),
    sasl_mechanism: text(s.sasl_mechanism),
    instance_id: text(s.instance_id),
    bootstrap_servers: text(s.bootstrap_servers),
    security_protocol: text(s.security_protocol),
    direction: text(s.direction),
    sync_consumer_offsets_enabled: flag(s.sync_consumer_offsets_enabled),
    replication_factor: count(s.replication_factor),
    task_num: count(s.task_num),
    rename_topic_enabled: flag(s.rename_topic_enabled),
    provenance_header_enabled: flag(s.provenance_header_enabled),
    consumer_strategy: text(s.consumer_strategy),
    compression_type: text(s.compression_type),
    topics_mapping: text(s.topics_mapping),
  };
}

function readSinkTask(value: unknown): UpstreamSinkTask {
  const s = plainObject(value);
  return {
    consumer_strategy: text(s.consumer_strategy),
    destination_file_type: text(s.destination_file_type),
    deliver_time_interval: count(s.deliver_time_interval),
    obs_bucket_name: text(s.obs_bucket_name),
    obs_path: text(s.obs_path),
    partition_format: text(s.partition_format),
    record_delimiter: text(s.record_delimiter),
    store_keys: flag(s.store_keys),
    obs_part_size: count(s.obs_part_size),
    flush_size: count(s.flush_size),
    timezone: text(s.timezone),
    schema_generator_class: text(s.schema_generator_class),
    partitioner_class: text(s.partitioner_class),
    value_converter: text(s.value_converter),
    key_converter: text(s.key_converter),
    kv_delimiter: text(s.kv_delimiter),
  };
}

/**
 * What JSON.parse makes, and nothing else. zod takes any non-array object, but an exotic one
 * (a class instance, an object inheriting fields or from another realm) is not worth being
 * certain about. A proxy is declined before any of its traps runs: zod also asks it
 * `key in input`, which it could answer by throwing after every read succeeded here.
 */
function plainObject(value: unknown): Readonly<Record<string, unknown>> {
  if (typeof value === 'object' && value !== null && !isProxy(value)) {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype === Object.prototype || prototype === null) {
      return value as Readonly<Record<string, unknown>>;
    }
  }
  throw DECLINED;
}

function settings<T>(value: unknown, read: (value: unknown) => T): T | null | undefined {
  return value === undefined || value === null ? value : read(value);
}

function nonEmptyText(value: unknown): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw DECLINED;
}

function text(value: unknown): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw DECLINED;
}

function flag(value: unknown): boolean | null | undefined {
  if (value === undefined || value === null || typeof value === 'boolean') return value;
  throw DECLINED;
}

/** z.int() is a safe integer: it turns away NaN, infinities, fractions and anything past 2^53. */
function count(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return value;
  if (Number.isSafeInteger(value)) return value as number;
  throw DECLINED;
}

function epochMs(value: unknown): number | null | undefined {
  const ms = count(value);
  if (ms == null || (ms >= 0 && ms <= LATEST_REPRESENTABLE_EPOCH_MS)) return ms;
  throw DECLINED;
}
