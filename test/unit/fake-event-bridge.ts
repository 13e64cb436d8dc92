/**
 * A stand-in for the EventBridge client (aws-sdk-client-mock is not installed): PutEvents answers
 * scripted per call, every request recorded.
 */
import type {
  EventBridgeClient,
  PutEventsCommand,
  PutEventsCommandOutput,
  PutEventsRequestEntry,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import type { StatusChangeDetail } from '../../lib/status/status-event';

/** How the fake answers one PutEvents call, from the entries it received. */
export type Answer = (entries: readonly PutEventsRequestEntry[]) => Partial<PutEventsCommandOutput>;

const accepted = (_: PutEventsRequestEntry, i: number): PutEventsResultEntry => ({
  EventId: `id-${i}`,
});
const failed: PutEventsResultEntry = {
  ErrorCode: 'InternalFailure',
  ErrorMessage: 'Internal failure.',
};

/** Accepts every entry. */
export const acceptAll: Answer = (entries) => ({
  FailedEntryCount: 0,
  Entries: entries.map(accepted),
});

/** Fails the entries whose event ids are listed, accepts the others. */
export function failing(eventIds: readonly string[]): Answer {
  return (entries) => {
    const results = entries.map((entry, i) =>
      eventIds.includes(eventIdOf(entry)) ? failed : accepted(entry, i),
    );
    return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
  };
}

export function eventIdOf(entry: PutEventsRequestEntry): string {
  return (JSON.parse(entry.Detail ?? '{}') as StatusChangeDetail).eventId;
}

/**
 * Answers the n-th PutEvents with the n-th answer (the last one repeats); an Error is thrown
 * by the call, as the SDK does when the request itself fails.
 */
export function fakeEventBridge(...answers: (Answer | Error)[]) {
  const requests: PutEventsRequestEntry[][] = [];
  const client = {
    send: (command: PutEventsCommand): Promise<Partial<PutEventsCommandOutput>> => {
      const entries = command.input.Entries ?? [];
      const answer = answers[Math.min(requests.length, answers.length - 1)] ?? acceptAll;
      requests.push(entries);
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer(entries));
    },
  };
  return {
    client: client as unknown as EventBridgeClient,
    requests,
    /** The event ids sent, request by request. */
    sent: () => requests.map((entries) => entries.map(eventIdOf)),
  };
}
