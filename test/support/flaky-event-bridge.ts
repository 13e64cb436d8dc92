import {
  EventBridgeClient,
  type PutEventsCommandInput,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { putEventsEntrySize } from '../../lib/status/event-publisher';

export interface FlakyEventBridge {
  readonly client: EventBridgeClient;
  /** The eventIds sent in each PutEvents call, in order. */
  readonly calls: string[][];
  /** The size of each PutEvents call's entries, as EventBridge counts it against its 256 KB. */
  readonly requestBytes: number[];
  /** The next `count` PutEvents calls fail as a whole (the request never reaches moto). */
  failNextCalls(count: number): void;
  /** While on, every PutEvents call fails as a whole (EventBridge is down). */
  outage(on: boolean): void;
  /** In the next call, the entries at `indexes` are not sent and are reported as failed. */
  rejectEntriesOnce(indexes: readonly number[]): void;
}

/**
 * A real EventBridge client (talking to moto) with failures moto cannot produce on demand:
 * whole-call failures and partial failures (FailedEntryCount > 0) for chosen entries.
 */
export function flakyEventBridge(): FlakyEventBridge {
  const client = new EventBridgeClient({});
  const calls: string[][] = [];
  const requestBytes: number[] = [];
  let failCalls = 0;
  let rejectIndexes: readonly number[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutEventsCommand') return next(args);
      const input = args.input as PutEventsCommandInput;
      const entries = input.Entries ?? [];
      calls.push(entries.map((e) => (JSON.parse(e.Detail ?? '{}') as { eventId: string }).eventId));
      requestBytes.push(entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0));
      if (failCalls > 0) {
        failCalls -= 1;
        throw Object.assign(new Error('Simulated EventBridge outage'), {
          name: 'InternalException',
        });
      }
      if (rejectIndexes.length === 0) return next(args);
      const rejected = new Set(rejectIndexes);
      rejectIndexes = [];
      const sent = entries.filter((_, i) => !rejected.has(i));
      const result = await next({ ...args, input: { ...input, Entries: sent } });
      const output = result.output as PutEventsCommandOutput;
      const answered = [...(output.Entries ?? [])];
      const merged = entries.map((_, i) =>
        rejected.has(i)
          ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Simulated entry failure' }
          : answered.shift()!,
      );
      return {
        ...result,
        output: {
          ...output,
          Entries: merged,
          FailedEntryCount: (output.FailedEntryCount ?? 0) + rejected.size,
        },
      };
    },
    { step: 'initialize', name: 'flakyPutEvents' },
  );
  return {
    client,
    calls,
    requestBytes,
    failNextCalls: (count) => {
      failCalls = count;
    },
    outage: (on) => {
      failCalls = on ? Infinity : 0;
    },
    rejectEntriesOnce: (indexes) => {
      rejectIndexes = indexes;
    },
  };
}
