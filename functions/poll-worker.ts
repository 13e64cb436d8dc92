import { createContainer } from '../lib/container';
import { createPollWorkerHandler } from '../lib/poll/poll-worker';
import { loadPollWorkerConfig } from '../lib/poll/watch-list';

export const handler = createPollWorkerHandler(
  createContainer(process.env, { publishLingerMs: 100 }),
  loadPollWorkerConfig(process.env),
);
