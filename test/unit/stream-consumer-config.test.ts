import { ConfigurationError } from '../../lib/errors';
import { loadStreamConsumerConfig } from '../../lib/status/stream-consumer-container';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/status-stream-failures';
const valid = {
  EVENT_BUS_NAME: 'status-events',
  STREAM_FAILURE_QUEUE_URL: QUEUE_URL,
  HISTORY_TABLE_NAME: 'status-history',
};
const HISTORY = { historyTableName: 'status-history', historyRetentionMs: 90 * 86_400_000 };

function configError(env: Record<string, string | undefined>): ConfigurationError {
  try {
    loadStreamConsumerConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected loadStreamConsumerConfig to refuse the environment');
}

describe('loadStreamConsumerConfig', () => {
  it('reads the bus name and the failure queue URL', () => {
    const config = loadStreamConsumerConfig(valid);

    expect(config).toEqual({
      eventBusName: 'status-events',
      failureQueueUrl: QUEUE_URL,
      ...HISTORY,
    });
  });

  it('trims surrounding whitespace from both values', () => {
    const config = loadStreamConsumerConfig({
      EVENT_BUS_NAME: '  status-events\n',
      STREAM_FAILURE_QUEUE_URL: ` ${QUEUE_URL} `,
      HISTORY_TABLE_NAME: ' status-history ',
    });

    expect(config).toEqual({
      eventBusName: 'status-events',
      failureQueueUrl: QUEUE_URL,
      ...HISTORY,
    });
  });

  it('accepts a bus ARN', () => {
    const arn = 'arn:aws:events:eu-west-1:123456789012:event-bus/status-events';

    expect(loadStreamConsumerConfig({ ...valid, EVENT_BUS_NAME: arn }).eventBusName).toBe(arn);
  });

  it('accepts a plain-HTTP queue URL (a local emulator)', () => {
    const url = 'http://127.0.0.1:5000/123456789012/status-stream-failures';

    const config = loadStreamConsumerConfig({ ...valid, STREAM_FAILURE_QUEUE_URL: url });

    expect(config.failureQueueUrl).toBe(url);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('names EVENT_BUS_NAME when it is %s', (_, value) => {
    const error = configError({ ...valid, EVENT_BUS_NAME: value });

    expect(error.message).toContain('EVENT_BUS_NAME');
  });

  it('says what the bus name must be', () => {
    const error = configError({ ...valid, EVENT_BUS_NAME: ' ' });

    expect(error.message).toBe(
      'Invalid configuration: EVENT_BUS_NAME is required (EventBridge bus name or ARN)',
    );
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not a URL', 'status-stream-failures'],
    ['a URL of another scheme', 'ftp://sqs.example.com/123456789012/failures'],
  ])('names STREAM_FAILURE_QUEUE_URL when it is %s', (_, value) => {
    const error = configError({ ...valid, STREAM_FAILURE_QUEUE_URL: value });

    expect(error.message).toContain('STREAM_FAILURE_QUEUE_URL');
  });

  it('says what the failure queue URL must be', () => {
    const error = configError({ ...valid, STREAM_FAILURE_QUEUE_URL: 'not a url' });

    expect(error.message).toBe(
      'Invalid configuration: STREAM_FAILURE_QUEUE_URL must be the URL of an SQS queue',
    );
  });

  it('names both variables when both are wrong', () => {
    const error = configError({});

    expect(error.message).toMatch(/EVENT_BUS_NAME.*; STREAM_FAILURE_QUEUE_URL/);
  });

  it('never echoes a variable value in its error', () => {
    const error = configError({ ...valid, STREAM_FAILURE_QUEUE_URL: 'CANARY-VALUE' });

    expect(error.message).not.toContain('CANARY-VALUE');
  });

  it('reports a configuration problem with its code', () => {
    const error = configError({});

    expect(error).toMatchObject({ name: 'ConfigurationError', code: 'CONFIGURATION_ERROR' });
  });

  it('keeps the history for HISTORY_RETENTION_DAYS days', () => {
    const config = loadStreamConsumerConfig({ ...valid, HISTORY_RETENTION_DAYS: '7' });

    expect(config.historyRetentionMs).toBe(7 * 86_400_000);
  });

  it.each(['0', '3651', '1.5', 'ninety'])(
    'names HISTORY_RETENTION_DAYS when it is %s, without its value',
    (value) => {
      const error = configError({ ...valid, HISTORY_RETENTION_DAYS: value });

      expect(error.message).toContain('HISTORY_RETENTION_DAYS');
      expect(error.message).not.toContain(value === '0' ? 'ninety' : value);
    },
  );

  it('names HISTORY_TABLE_NAME when it is missing', () => {
    const error = configError({ ...valid, HISTORY_TABLE_NAME: undefined });

    expect(error.message).toContain('HISTORY_TABLE_NAME is required');
  });
});
