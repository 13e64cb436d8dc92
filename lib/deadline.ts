import type { Context } from 'aws-lambda';
import type { Clock } from './clock';

/**
 * Time kept back from the Lambda's remaining time for what follows the upstream call: the
 * stored-status read, the conditional write (and its re-reads after a lost race) and the response.
 */
export const DEADLINE_RESERVE_MS = 1_500;

/** The epoch-ms deadline for upstream work in this invocation. */
export function upstreamDeadline(
  clock: Clock,
  context: Partial<Pick<Context, 'getRemainingTimeInMillis'>> | undefined,
  fallbackMs: number,
): number {
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function'
      ? context.getRemainingTimeInMillis() - DEADLINE_RESERVE_MS
      : fallbackMs;
  return clock.now() + Math.max(0, remaining);
}
