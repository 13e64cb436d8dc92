import * as z from 'zod/mini';
import { parseEnvironment, type Environment } from '../config';
import type { HealthPolicy } from './task-health';

export const STUCK_AFTER_FORMAT =
  'comma-separated STATUS=DURATION entries, DURATION a whole number of s, m or h (e.g. RESTARTING=15m,CREATING=30m), or empty for none';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MAX_STUCK_AFTER_MS = 7 * 86_400_000;

/** Parses STUCK_AFTER; messages name the entry's position and the rule, never the whole value. */
function stuckAfter(value: string, ctx: z.core.ParsePayload): ReadonlyMap<string, number> {
  const thresholds = new Map<string, number>();
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') return thresholds;
  for (const [index, entry] of entries.entries()) {
    const match = /^([A-Z][A-Z_]{0,31})=(\d{1,6})([smh])$/.exec(entry);
    const ms = match ? Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS] : 0;
    if (!match || ms < 1_000 || ms > MAX_STUCK_AFTER_MS || thresholds.has(match[1]!)) {
      ctx.issues.push({
        code: 'custom',
        message: `entry ${index + 1} must be a status not listed before, "=", and a duration from 1s to 168h: ${STUCK_AFTER_FORMAT}`,
        input: value,
      });
      return thresholds;
    }
    thresholds.set(match[1]!, ms);
  }
  return thresholds;
}

const healthEnvironmentSchema = z.object({
  STUCK_AFTER: z.pipe(
    z._default(z.string(), 'RESTARTING=15m,CREATING=30m'),
    z.transform(stuckAfter),
  ),
  UNOBSERVABLE_AFTER: z._default(
    z.coerce
      .number()
      .check(z.int('must be a whole number of polls'), z.minimum(1), z.maximum(1_000)),
    3,
  ),
});

/** When a polled task counts as stuck or unobservable (STUCK_AFTER, UNOBSERVABLE_AFTER). */
export function loadHealthPolicy(env: Environment): HealthPolicy {
  const settings = parseEnvironment(healthEnvironmentSchema, env);
  return {
    stuckAfterMs: settings.STUCK_AFTER,
    unobservableAfter: settings.UNOBSERVABLE_AFTER,
  };
}
