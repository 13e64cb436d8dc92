/**
 * Values where a hand-written check and zod are most likely to part: boundaries, near misses and
 * wrong kinds, each named for the report of a failing comparison. All are what JSON.parse makes
 * or a primitive; exotic objects (class instances, proxies) are tested on their own.
 */
export const EDGE_VALUES: ReadonlyArray<readonly [name: string, value: unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['empty text', ''],
  ['text', 'x'],
  ['a type name', 'KAFKA_REPLICATOR_SOURCE'],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate inside text', 'a\udc00b'],
  ['huge text', 'x'.repeat(70_000)],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['-0', -0],
  ['1', 1],
  ['0.5', 0.5],
  ['-1', -1],
  ['2^53 - 1', 2 ** 53 - 1],
  ['2^53', 2 ** 53],
  ['-(2^53)', -(2 ** 53)],
  ['the latest representable time', 253_402_300_799_999],
  ['just past the latest representable time', 253_402_300_800_000],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['a bigint', 1n],
  ['an empty array', []],
  ['an array of text', ['x']],
  ['an empty object', {}],
  ['an object with task fields', { id: 'x', status: 'RUNNING', task_num: 0.5 }],
  ['a null-prototype object', Object.create(null) as unknown],
];
