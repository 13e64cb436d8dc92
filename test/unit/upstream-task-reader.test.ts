import * as z from 'zod/mini';
import { upstreamConnectorTaskSchema } from '../../lib/connector-task';
import { readUpstreamTask } from '../../lib/upstream-task-reader';
import { exampleTask, obsSinkTask } from '../simulator/huawei-dms-simulator';
import apiPageExample from '../fixtures/show-connector-task.example.json';
import obsSinkExample from '../fixtures/show-connector-task.obs-sink.json';
import { EDGE_VALUES } from './upstream-edge-values';

/** Every field of the contract set, so that each one can be changed alone. */
const FULL_BODY: Record<string, unknown> = {
  ...exampleTask(),
  topics_regex: '^topic-',
  sink_task: obsSinkTask().sink_task,
};

const ABSENT = Symbol('absent');

function unwrap(schema: z.ZodMiniType): z.ZodMiniType {
  return schema instanceof z.ZodMiniOptional || schema instanceof z.ZodMiniNullable
    ? unwrap(schema.def.innerType as z.ZodMiniType)
    : schema;
}

/** The path of every field in the schema, nested ones included, read from the schema itself. */
function fieldPaths(schema: z.ZodMiniObject, prefix: readonly string[] = []): string[][] {
  return Object.entries(schema.shape).flatMap(([key, field]) => {
    const path = [...prefix, key];
    const inner = unwrap(field as z.ZodMiniType);
    return inner instanceof z.ZodMiniObject ? [path, ...fieldPaths(inner, path)] : [path];
  });
}

function withValueAt(path: readonly string[], value: unknown): Record<string, unknown> {
  // Not structuredClone: under jest its objects come from another realm, with another Object.prototype.
  const body = JSON.parse(JSON.stringify(FULL_BODY)) as Record<string, unknown>;
  const parent = path
    .slice(0, -1)
    .reduce((object, key) => object[key] as Record<string, unknown>, body);
  const key = path[path.length - 1] as string;
  if (value === ABSENT) delete parent[key];
  else parent[key] = value;
  return body;
}

/** zod's answer in the reader's terms: its parsed value, or undefined for a rejection. */
function zodAnswer(body: unknown): unknown {
  const parsed = upstreamConnectorTaskSchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

const PROBES: ReadonlyArray<readonly [string, unknown]> = [['absent', ABSENT], ...EDGE_VALUES];

describe('readUpstreamTask', () => {
  it('starts the field-by-field comparison from a body both accept', () => {
    const read = readUpstreamTask(FULL_BODY);

    expect(read).toBeDefined();
    expect(read).toEqual(zodAnswer(FULL_BODY));
  });

  it.each(fieldPaths(upstreamConnectorTaskSchema).map((path) => [path.join('.'), path]))(
    'answers exactly as zod does for every probe value of %s, the rest of the body valid',
    (_field, path) => {
      const bodies = PROBES.map(([name, value]) => [name, withValueAt(path, value)] as const);

      const read = Object.fromEntries(bodies.map(([name, body]) => [name, readUpstreamTask(body)]));

      expect(read).toEqual(
        Object.fromEntries(bodies.map(([name, body]) => [name, zodAnswer(body)])),
      );
    },
  );

  it.each([
    ['the API page example', apiPageExample],
    ['the OBS sink example', obsSinkExample],
    ['the simulator replication task', exampleTask()],
    ['the simulator OBS sink task', obsSinkTask()],
  ])('answers for %s', (_case, body) => {
    const read = readUpstreamTask(body);

    expect(read).toEqual(zodAnswer(body));
  });

  it('hands over the values it checked, reading each field once as zod does', () => {
    const reads: string[] = [];
    const body = {
      id: 't',
      status: 'RUNNING',
      get task_name(): unknown {
        reads.push('task_name');
        return reads.length === 1 ? 'checked' : 42;
      },
    };

    const read = readUpstreamTask(body);

    expect(read?.task_name).toBe('checked');
    expect(reads).toEqual(['task_name']);
  });

  class TaskBody {
    id = 't';
    status = 'RUNNING';
  }

  it.each([
    ['a class instance', new TaskBody()],
    ['an object inheriting its fields', Object.create({ id: 't', status: 'RUNNING' }) as unknown],
    ['a proxy', new Proxy({ id: 't', status: 'RUNNING' }, {})],
    ['settings that are a class instance', { id: 't', status: 'RUNNING', sink_task: new Date(0) }],
    ['settings that are a proxy', { id: 't', status: 'RUNNING', source_task: new Proxy({}, {}) }],
  ])('leaves %s to zod, although zod accepts it', (_case, body) => {
    const read = readUpstreamTask(body);

    expect(zodAnswer(body)).toBeDefined();
    expect(read).toBeUndefined();
  });

  it('leaves a proxy to zod without running any of its traps', () => {
    const trapped: PropertyKey[] = [];
    // A handler that notes each trap looked up on it, then lets the default behaviour run.
    const noting = new Proxy({}, { get: (_handler, trap) => void trapped.push(trap) });
    const body = new Proxy({ id: 't', status: 'RUNNING' }, noting);

    readUpstreamTask(body);

    expect(trapped).toEqual([]);
  });
});
