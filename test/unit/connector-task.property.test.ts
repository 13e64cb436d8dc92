import fc from 'fast-check';
import * as z from 'zod/mini';
import {
  connectorTaskSchema,
  normalizeConnectorTask,
  upstreamConnectorTaskSchema,
} from '../../lib/connector-task';
import { UpstreamContractError } from '../../lib/errors';

type Outcome = { readonly task: unknown } | { readonly error: unknown };

function attempt(body: unknown): Outcome {
  try {
    return { task: normalizeConnectorTask(body) };
  } catch (error) {
    return { error };
  }
}

/** The whole promise: a task in the published shape, or our contract error. Nothing else. */
function expectPublishedTaskOrContractError(outcome: Outcome): void {
  if ('error' in outcome) {
    expect(outcome.error).toBeInstanceOf(UpstreamContractError);
    return;
  }
  // Parsing strips unknown keys, so equality also proves there are none and none is undefined.
  expect(connectorTaskSchema.parse(outcome.task)).toStrictEqual(outcome.task);
}

/** Values JSON never produces but an `unknown` parameter can still receive. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(undefined, null, NaN, Infinity, -Infinity, -0, Number.MAX_VALUE, 2 ** 53, 1e300),
  fc.double(),
  fc.bigInt(),
  fc.string(),
  fc.jsonValue(),
  fc.anything({ withNullPrototype: true, withMap: true, withSet: true, withBigInt: true }),
);

/** How often a contract field holds a wrong-typed value instead of a well-typed one. */
type Noise = 'none' | 'some';

/**
 * A value of the type the upstream schema expects at that position, derived from the schema so
 * the generator follows it when fields are added. Constraints (non-empty strings, number ranges)
 * are not always honoured on purpose: such bodies must be rejected, and the oracle knows which.
 */
function wellTypedValue(schema: z.ZodMiniType, noise: Noise): fc.Arbitrary<unknown> {
  if (schema instanceof z.ZodMiniOptional) {
    return fc.oneof(
      fc.constant(undefined),
      wellTypedValue(schema.def.innerType as z.ZodMiniType, noise),
    );
  }
  if (schema instanceof z.ZodMiniNullable) {
    return fc.oneof(
      fc.constant(null),
      wellTypedValue(schema.def.innerType as z.ZodMiniType, noise),
    );
  }
  if (schema instanceof z.ZodMiniString) return fc.string();
  if (schema instanceof z.ZodMiniBoolean) return fc.boolean();
  if (schema instanceof z.ZodMiniNumber) {
    const plausible = fc.integer({ min: 0, max: 253_402_300_799_999 });
    return noise === 'none' ? plausible : fc.oneof(plausible, fc.integer(), fc.double());
  }
  if (schema instanceof z.ZodMiniObject) return bodyFrom(schema, noise);
  throw new Error('wellTypedValue: add an arbitrary for this kind of schema');
}

/** Objects with the schema's own keys, each omitted or holding a value (well typed or not). */
function bodyFrom(schema: z.ZodMiniObject, noise: Noise): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => {
      const wellTyped = wellTypedValue(field as z.ZodMiniType, noise);
      return [
        key,
        noise === 'none'
          ? wellTyped
          : fc.oneof({ arbitrary: wellTyped, weight: 4 }, { arbitrary: hostileValue, weight: 1 }),
      ];
    }),
  );
  return fc.record(fields, { requiredKeys: [] });
}

/** Bodies whose source and sink types are the interesting ones, not random strings. */
const upstreamLikeBody = fc
  .tuple(
    fc.oneof(
      bodyFrom(upstreamConnectorTaskSchema, 'none'),
      bodyFrom(upstreamConnectorTaskSchema, 'some'),
    ),
    fc.constantFrom('KAFKA_REPLICATOR_SOURCE', 'NONE', '', 'FUTURE_SOURCE', undefined),
    fc.constantFrom('OBS_SINK', 'NONE', '', 'FUTURE_SINK', undefined),
  )
  .map(([body, sourceType, sinkType]) => ({
    ...body,
    ...(sourceType === undefined ? {} : { source_type: sourceType }),
    ...(sinkType === undefined ? {} : { sink_type: sinkType }),
  }));

it('turns any JSON value into a published task or an UpstreamContractError', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (body) => {
      expectPublishedTaskOrContractError(attempt(body));
    }),
  );
});

it('turns any JavaScript value into a published task or an UpstreamContractError', () => {
  fc.assert(
    fc.property(hostileValue, (body) => {
      expectPublishedTaskOrContractError(attempt(body));
    }),
  );
});

it('turns any body built from the contract fields into a published task or an UpstreamContractError', () => {
  fc.assert(
    fc.property(upstreamLikeBody, (body) => {
      expectPublishedTaskOrContractError(attempt(body));
    }),
    { numRuns: 500 },
  );
});

it('normalizes every body the upstream contract accepts, and rejects every other', () => {
  fc.assert(
    fc.property(upstreamLikeBody, (body) => {
      const outcome = attempt(body);

      expect('task' in outcome).toBe(upstreamConnectorTaskSchema.safeParse(body).success);
    }),
    { numRuns: 500 },
  );
});
