import { createStatusStreamHandler } from '../lib/status/publish-status-changes';
import { createStreamConsumerContainer } from '../lib/status/stream-consumer-container';

export const handler = createStatusStreamHandler(createStreamConsumerContainer());
