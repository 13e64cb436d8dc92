import type { SQSRecord } from 'aws-lambda';
import type { TaskRef } from '../../lib/task-ref';

/** A fan-out queue record carrying one poll batch, as Lambda's SQS mapping delivers it. */
export function sqsRecord(messageId: string, tasks: readonly TaskRef[]): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: JSON.stringify({ version: 1, tasks }),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:poll-batches',
    awsRegion: 'eu-west-1',
  } as unknown as SQSRecord;
}
