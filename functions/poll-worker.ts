import { createContainer } from '../lib/container';
import { createPollWorkerHandler } from '../lib/poll/poll-worker';
import { loadPollWorkerConfig } from '../lib/poll/watch-list';

export const handler = createPollWorkerHandler(
  createContainer(),
  loadPollWorkerConfig(process.env),
);
