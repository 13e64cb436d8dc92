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

const LATEST_MS = 253_402_300_799_999;

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
  if (schema instanceof z.ZodMiniNumber) return fc.integer({ min: 0, max: LATEST_MS });
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
  if (schema instanceof z.ZodMiniNumber) {
    return fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.integer({ min: LATEST_MS - 10, max: LATEST_MS + 10 }),
      fc.double(),
      fc.double({ min: 0, max: LATEST_MS, noInteger: true }),
    );
  }
  if (schema instanceof z.ZodMiniObject) return objectFrom(schema, 'often');
  throw new Error('wellTypedValue: add an arbitrary for this kind of schema');
}

/** Anything but what Huawei would send there, though often close to it. */
function offValue(schema: z.ZodMiniType, key: string): fc.Arbitrary<unknown> {
  return fc.oneof(
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
    { arbitrary: offValue(schema, key), weight: 5 },
  );
}

/** Extra keys, and the forms JSON.parse makes and does not (null prototype, inherited fields). */
const dressed = (fields: fc.Arbitrary<Record<string, unknown>>) =>
  fc
    .tuple(
      fields,
      fc.option(extraKeys, { nil: undefined }),
      fc.constantFrom('plain', 'plain', 'JSON', 'JSON', 'null prototype', 'inherited'),
    )
    .map(([own, extras, form]) => {
      const body = { ...extras, ...own };
      if (form === 'null prototype') {
        return Object.assign(Object.create(null) as Record<string, unknown>, body);
      }
      if (form === 'inherited') {
        return Object.setPrototypeOf({ ...extras }, own) as Record<string, unknown>;
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

/** The schema's fields, some omitted; with noise, dressed as above. */
function objectFrom(schema: z.ZodMiniObject, noise: Noise): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.shape).map(([key, field]) => {
    const required = !(field instanceof z.ZodMiniOptional);
    return [key, fieldValue(field as z.ZodMiniType, key, required, noise), required] as const;
  });
  const own = fc.record(Object.fromEntries(entries.map(([key, arbitrary]) => [key, arbitrary])), {
    requiredKeys:
      noise === 'often' ? [] : entries.filter(([, , required]) => required).map(([key]) => key),
  });
  return noise === 'none' ? own : dressed(own);
}

/** Every field of the schema, nested ones included, with where it sits. */
function fieldsOf(
  schema: z.ZodMiniObject,
  prefix: readonly string[] = [],
): { path: string[]; field: z.ZodMiniType }[] {
  return Object.entries(schema.shape).flatMap(([key, value]) => {
    const field = value as z.ZodMiniType;
    const path = [...prefix, key];
    let inner = field;
    while (inner instanceof z.ZodMiniOptional || inner instanceof z.ZodMiniNullable) {
      inner = inner.def.innerType as z.ZodMiniType;
    }
    const nested = inner instanceof z.ZodMiniObject ? fieldsOf(inner, path) : [];
    return [{ path, field }, ...nested];
  });
}

const ABSENT = Symbol('absent');

/** A copy of `body` with one field changed; the objects on its way are copied, not modified. */
function withValueAt(body: unknown, path: readonly string[], value: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy: Record<string, unknown> = { ...(body as object) };
  if (rest.length > 0) copy[key] = withValueAt(copy[key], rest, value);
  else if (value === ABSENT) delete copy[key];
  else copy[key] = value;
  return copy;
}

/** A valid body with a single field off: the likeliest way for one missed check to show. */
const oneFieldOff = dressed(
  fc
    .tuple(
      objectFrom(upstreamConnectorTaskSchema, 'none'),
      fc.constantFrom(...fieldsOf(upstreamConnectorTaskSchema)),
    )
    .chain(([body, { path, field }]) =>
      fc
        .oneof(offValue(field, path.at(-1) ?? ''), fc.constant(ABSENT))
        .map((value) => withValueAt(body, path, value) as Record<string, unknown>),
    ),
);

/** Near-valid bodies: mostly one field off, sometimes a few, sometimes everything. */
const nearValidBody = fc.oneof(
  { arbitrary: oneFieldOff, weight: 3 },
  { arbitrary: objectFrom(upstreamConnectorTaskSchema, 'rare'), weight: 1 },
  { arbitrary: objectFrom(upstreamConnectorTaskSchema, 'often'), weight: 1 },
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
    { numRuns: 5000 },
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
