import fc from 'fast-check';
import * as z from 'zod/mini';
import { normalizeConnectorTask, upstreamConnectorTaskSchema } from '../../lib/connector-task';
import { readUpstreamTask } from '../../lib/upstream-task-reader';
import { EDGE_VALUES } from './upstream-edge-values';

/*
 * The reader is a hand-written copy of upstreamConnectorTaskSchema; zod is the oracle. Generators
 * are derived from the schema's shape, so a field added to the schema is generated (wrongly typed
 * too) without touching this file, and a reader that does not check it fails here.
 */

const TYPE_NAMES = ['KAFKA_REPLICATOR_SOURCE', 'OBS_SINK', 'NONE', '', 'MYSQL_CDC_SOURCE', 'x'];

/** Text including lone surrogates, which fc.string's units never produce on their own. */
const anyText = fc.string({
  unit: fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
  ),
});

/** Keys the contract does not name, `__proto__` among them as JSON.parse makes it: own data. */
const extraKeys: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
    fc.option(fc.jsonValue(), { nil: undefined }),
  )
  .map(([extras, proto]) =>
    proto === undefined
      ? extras
      : {
          ...(JSON.parse(`{"__proto__":${JSON.stringify(proto)}}`) as Record<string, unknown>),
          ...extras,
        },
  );

/** How often a field holds something other than a value Huawei would send. */
type Noise = 'none' | 'rare' | 'often';

/** What Huawei sends at a field: well typed, in range, or omitted or null where allowed. */
function validValue(
  schema: z.ZodMiniType,
  key: string,
  required: boolean,
  noise: Noise,
): fc.Arbitrary<unknown> {
  if (schema instanceof z.ZodMiniOptional || schema instanceof z.ZodMiniNullable) {
    const absent = schema instanceof z.ZodMiniOptional ? undefined : null;
    const inner = schema.def.innerType as z.ZodMiniType;
    return fc.oneof(fc.constant(absent), validValue(inner, key, required, noise));
  }
  if (schema instanceof z.ZodMiniString) {
    if (key.endsWith('_type')) return fc.constantFrom(...TYPE_NAMES);
    return fc.string({ minLength: required ? 1 : 0 });
  }
  if (schema instanceof z.ZodMiniBoolean) return fc.boolean();
  if (schema instanceof z.ZodMiniNumber) return fc.integer({ min: 0, max: 253_402_300_799_999 });
  if (schema instanceof z.ZodMiniObject) return objectFrom(schema, noise);
  throw new Error('validValue: add an arbitrary for this kind of schema');
}

/** A value of the field's kind that may miss its constraints: any text, any number. */
function wellTypedValue(schema: z.ZodMiniType, key: string): fc.Arbitrary<unknown> {
  if (schema instanceof z.ZodMiniOptional || schema instanceof z.ZodMiniNullable) {
    return wellTypedValue(schema.def.innerType as z.ZodMiniType, key);
  }
  if (schema instanceof z.ZodMiniString) {
    return key.endsWith('_type') ? fc.oneof(fc.constantFrom(...TYPE_NAMES), anyText) : anyText;
  }
  if (schema instanceof z.ZodMiniBoolean) return fc.boolean();
  if (schema instanceof z.ZodMiniNumber) return fc.oneof(fc.integer(), fc.double());
  if (schema instanceof z.ZodMiniObject) return objectFrom(schema, 'often');
  throw new Error('wellTypedValue: add an arbitrary for this kind of schema');
}

function fieldValue(
  schema: z.ZodMiniType,
  key: string,
  required: boolean,
  noise: Noise,
): fc.Arbitrary<unknown> {
  const valid = validValue(schema, key, required, noise);
  if (noise === 'none') return valid;
  return fc.oneof(
    { arbitrary: valid, weight: noise === 'rare' ? 100 : 4 },
    { arbitrary: wellTypedValue(schema, key), weight: 2 },
    { arbitrary: fc.constantFrom(...EDGE_VALUES.map(([, value]) => value)), weight: 2 },
    {
      arbitrary: fc.anything({
        withNullPrototype: true,
        withBigInt: true,
        withDate: true,
        withMap: true,
      }),
      weight: 1,
    },
  );
}

/**
 * The schema's fields, some omitted; with noise, also unknown keys and objects JSON.parse does
 * not make (null prototype, fields inherited from the prototype).
 */
function objectFrom(schema: z.ZodMiniObject, noise: Noise): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.shape).map(([key, field]) => {
    const required = !(field instanceof z.ZodMiniOptional);
    return [key, fieldValue(field as z.ZodMiniType, key, required, noise), required] as const;
  });
  const own = fc.record(Object.fromEntries(entries.map(([key, arbitrary]) => [key, arbitrary])), {
    requiredKeys:
      noise === 'often' ? [] : entries.filter(([, , required]) => required).map(([key]) => key),
  });
  if (noise === 'none') return own;
  return fc
    .tuple(
      own,
      fc.option(extraKeys, { nil: undefined }),
      fc.constantFrom('plain', 'plain', 'JSON', 'JSON', 'null prototype', 'inherited'),
    )
    .map(([fields, extras, form]) => {
      const body = { ...extras, ...fields };
      if (form === 'null prototype') {
        return Object.assign(Object.create(null) as Record<string, unknown>, body);
      }
      if (form === 'inherited') {
        return Object.setPrototypeOf({ ...extras }, fields) as Record<string, unknown>;
      }
      if (form === 'JSON') {
        try {
          return JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
        } catch {
          return body; // holds a bigint: not JSON, kept as it is
        }
      }
      return body;
    });
}

/** Near-valid bodies: mostly one or two fields off, sometimes everything. */
const nearValidBody = fc.oneof(
  objectFrom(upstreamConnectorTaskSchema, 'rare'),
  objectFrom(upstreamConnectorTaskSchema, 'often'),
);

/** A body the reader declines and zod accepts whenever it accepts `task`: a class instance. */
class ReaderDeclines {}
function throughZodOnly(task: object): object {
  return Object.assign(new ReaderDeclines(), task);
}

/** The normalized task, or the error's message: what a caller would get, as text. */
function normalizedOutcome(body: unknown): string {
  try {
    return JSON.stringify(normalizeConnectorTask(body));
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

it('answers only for bodies zod accepts, with what zod answers and the same normalized task', () => {
  fc.assert(
    fc.property(nearValidBody, (body) => {
      const read = readUpstreamTask(body);
      const parsed = upstreamConnectorTaskSchema.safeParse(body);

      if (!parsed.success) {
        expect(read).toBeUndefined();
        return;
      }
      if (read === undefined) return;
      const zodOnly = throughZodOnly(parsed.data);
      expect(readUpstreamTask(zodOnly)).toBeUndefined();
      expect(read).toEqual(parsed.data);
      expect(normalizedOutcome(body)).toBe(normalizedOutcome(zodOnly));
    }),
    { numRuns: 3000 },
  );
});

it('answers for every body of the common shape Huawei sends, as JSON.parse makes it', () => {
  const huaweiLikeBody = fc
    .tuple(objectFrom(upstreamConnectorTaskSchema, 'none'), extraKeys)
    .map(([fields, extras]) => JSON.parse(JSON.stringify({ ...extras, ...fields })) as unknown);

  fc.assert(
    fc.property(huaweiLikeBody, (body: unknown) => {
      expect(upstreamConnectorTaskSchema.safeParse(body).success).toBe(true);

      const read = readUpstreamTask(body);

      expect(read).toBeDefined();
    }),
    { numRuns: 500 },
  );
});
