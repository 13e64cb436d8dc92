/**
 * Stands in for Lambda's DynamoDB Streams event source mapping where there is none (`npm start`,
 * the integration and model-based tests): reads the table's stream from moto and hands each
 * shard's records, in order and in the shape Lambda delivers them, to the consumer. Like the
 * mapping, it resumes after the last record the consumer accepted: a batch item failure moves
 * the checkpoint to just before the named record, a thrown error does not move it at all.
 *
 * Why not serverless-offline-dynamodb-streams: it takes the stream ARN from the template at
 * start-up and polls on its own timer; tests need to say "deliver everything written so far, now"
 * and know when that is done, and to count what the consumer refused.
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export type StreamConsumer = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | void>;

export interface PumpOptions {
  readonly client: DynamoDBStreamsClient;
  readonly streamArn: string;
  readonly consumer: StreamConsumer;
  readonly batchSize?: number;
  readonly region?: string;
}

export interface DrainResult {
  /** Consumer invocations made. */
  readonly invocations: number;
  /** Records the consumer accepted (checkpointed past). */
  readonly accepted: number;
  /** True when a shard stopped at a record the consumer refused or an invocation failed. */
  readonly blocked: boolean;
}

/** A bound on rounds per drain, so a consumer that keeps refusing cannot loop a test forever. */
const MAX_ROUNDS = 1_000;

export class DynamoDbStreamPump {
  /** Per shard: the sequence number of the last record the consumer accepted. */
  readonly #checkpoints = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<DrainResult> | undefined;

  constructor(private readonly options: PumpOptions) {}

  /** Delivers every record written so far, shard by shard; stops a shard where it is refused. */
  drain(): Promise<DrainResult> {
    this.#draining ??= this.#drain().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /** Drains every `intervalMs` until stop() (for `npm start`); errors are reported, not thrown. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    const tick = () => {
      this.drain()
        .catch(onError)
        .finally(() => {
          if (this.#timer) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    this.#timer = setTimeout(tick, intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#draining?.catch(() => undefined);
  }

  async #drain(): Promise<DrainResult> {
    const { client, streamArn } = this.options;
    const description = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    let invocations = 0;
    let accepted = 0;
    let blocked = false;
    for (const shard of description.StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId!;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const records = await this.#read(shardId);
        if (records.length === 0) break;
        invocations += 1;
        const progress = await this.#deliver(records);
        accepted += progress;
        if (progress > 0) {
          this.#checkpoints.set(shardId, records[progress - 1]!.dynamodb!.SequenceNumber!);
        }
        if (progress < records.length) {
          blocked = true;
          break;
        }
      }
    }
    return { invocations, accepted, blocked };
  }

  async #read(shardId: string): Promise<SdkStreamRecord[]> {
    const { client, streamArn, batchSize = 100 } = this.options;
    const after = this.#checkpoints.get(shardId);
    const iterator = await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    const output = await client.send(
      new GetRecordsCommand({ ShardIterator: iterator.ShardIterator, Limit: batchSize }),
    );
    return output.Records ?? [];
  }

  /** Invokes the consumer; returns how many leading records it accepted. */
  async #deliver(records: SdkStreamRecord[]): Promise<number> {
    let response: DynamoDBBatchResponse | void;
    try {
      response = await this.options.consumer({ Records: records.map((r) => this.#asLambda(r)) });
    } catch {
      return 0;
    }
    const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
    if (failed.length === 0) return records.length;
    // As Lambda does: resume from the lowest sequence number reported.
    const index = records.findIndex((r) => failed.includes(r.dynamodb?.SequenceNumber ?? ''));
    return index === -1 ? 0 : index;
  }

  #asLambda(record: SdkStreamRecord): DynamoDBRecord {
    const { dynamodb } = record;
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.options.region ?? record.awsRegion,
      eventSourceARN: this.options.streamArn,
      dynamodb: {
        ...(dynamodb as DynamoDBRecord['dynamodb']),
        ApproximateCreationDateTime: Math.floor(
          (dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now()) / 1000,
        ),
      },
    };
  }
}
