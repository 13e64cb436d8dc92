import { SQSClient } from '@aws-sdk/client-sqs';
import { createContainer } from '../lib/container';
import { createScheduledPollHandler } from '../lib/poll/scheduled-poll';
import { loadPollConfig } from '../lib/poll/watch-list';
import { AWS_CLIENT_CONFIG } from '../lib/aws-client-config';

const container = createContainer();
export const handler = createScheduledPollHandler(
  container,
  loadPollConfig(process.env, container.config.huawei),
  new SQSClient(AWS_CLIENT_CONFIG),
);
