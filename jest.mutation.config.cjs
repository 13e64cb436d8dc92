/**
 * StrykerJS (`npm run test:mutation`) runs these unit tests against every mutant of the delivery
 * path (the lean DynamoDB client included), list-page polls, the upstream task reader, the task health
 * assessment and tracker, and the signature guard (stryker.config.json `mutate`): the ones that exercise it, and no emulator. A mutant of
 * module-level code (a schema, a constant) makes Stryker run all of them, so the slow signer and
 * normalizer property suites stay out.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config reading its sibling
const { projects } = require('./jest.config.cjs');

const unit = projects.find((p) => p.displayName === 'unit');
module.exports = {
  ...unit,
  displayName: 'mutation',
  testMatch: [
    'batched-status-reads',
    'dynamodb-status-store',
    'event-publisher',
    'health-tracker',
    'publish-status-changes',
    'signature-guard',
    'status-stream',
    'stream-consumer-config',
    'task-observer',
    'task-health',
    'task-observer-listed',
    'observe-instance',
    'observe-named-tasks',
    'upstream-task-reader',
    'stored-status-item.property',
    'fan-out',
    'dynamodb-client',
    'dynamodb-error',
    'sigv4',
  ].map((name) => `<rootDir>/test/unit/${name}.test.ts`),
};
