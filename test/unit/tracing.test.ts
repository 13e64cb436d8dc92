import {
  DynamoDBClient,
  ListTablesCommand,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import * as AWSXRay from 'aws-xray-sdk-core';
import { Readable } from 'node:stream';
import { createTracing, XRAY_TRACING_MODULE, type Tracing } from '../../lib/tracing';
import type * as TracingExports from '../../lib/tracing';
import { captureJsonLines } from '../support/capture-output';

/** Fields the X-Ray SDK records on a subsegment (and sends to X-Ray) but does not type. */
interface RecordedSubsegment {
  readonly name: string;
  readonly namespace?: string;
  readonly annotations?: Record<string, unknown>;
  readonly fault?: boolean;
  readonly cause?: unknown;
  readonly aws?: Record<string, unknown>;
  isClosed(): boolean;
}

type TracingModule = typeof TracingExports;

/** What Lambda sets when it runs a function with active tracing. */
const LAMBDA_WITH_ACTIVE_TRACING = { AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000' };

describe('createTracing when tracing is off', () => {
  it('is off outside Lambda active tracing (no X-Ray daemon address)', () => {
    const tracing = createTracing({}, 'svc');

    expect(tracing.enabled).toBe(false);
    expect(tracing.middleware).toBeUndefined();
  });

  it('is off when POWERTOOLS_TRACE_ENABLED is "false", even with a daemon address', () => {
    const tracing = createTracing(
      { ...LAMBDA_WITH_ACTIVE_TRACING, POWERTOOLS_TRACE_ENABLED: 'false' },
      'svc',
    );

    expect(tracing.enabled).toBe(false);
    expect(tracing.middleware).toBeUndefined();
  });

  it('returns clients unchanged', () => {
    const tracing = createTracing({}, 'svc');
    const client = { send: () => undefined };

    expect(tracing.captureClient(client)).toBe(client);
  });

  it('runs traced work as is', async () => {
    const tracing = createTracing({}, 'svc');

    await expect(tracing.traced('name', {}, () => Promise.resolve(42))).resolves.toBe(42);
  });
});

/**
 * Active tracing turned on without the tracing layer (e.g. in the console): the function runs as
 * with tracing off, and its log says why once, however many containers it builds.
 */
describe('createTracing when Lambda runs with active tracing but the tracing layer is absent', () => {
  /** A fresh lib/tracing (it remembers a failed load) in a function without the layer. */
  function withoutTheLayer(): typeof createTracing {
    let isolated: typeof createTracing | undefined;
    jest.isolateModules(() => {
      jest.doMock(XRAY_TRACING_MODULE, () => {
        throw Object.assign(new Error(`Cannot find module '${XRAY_TRACING_MODULE}'`), {
          code: 'MODULE_NOT_FOUND',
        });
      });
      ({ createTracing: isolated } = jest.requireActual<TracingModule>('../../lib/tracing'));
    });
    return isolated!;
  }

  afterEach(() => jest.dontMock(XRAY_TRACING_MODULE));

  it('is off, and warns once with the module and the reason', async () => {
    const createTracingWithoutLayer = withoutTheLayer();
    const tracings: Tracing[] = [];

    const lines = await captureJsonLines(() => {
      tracings.push(createTracingWithoutLayer(LAMBDA_WITH_ACTIVE_TRACING, 'svc'));
      tracings.push(createTracingWithoutLayer(LAMBDA_WITH_ACTIVE_TRACING, 'svc'));
      return Promise.resolve();
    });

    expect(tracings.map(({ enabled, middleware }) => ({ enabled, middleware }))).toEqual([
      { enabled: false, middleware: undefined },
      { enabled: false, middleware: undefined },
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: expect.stringContaining('X-Ray tracing is off'),
        service: 'svc',
        module: XRAY_TRACING_MODULE,
        reason: 'MODULE_NOT_FOUND',
      }),
    ]);
  });

  it('does not look for the layer while tracing is off', async () => {
    const createTracingWithoutLayer = withoutTheLayer();

    const lines = await captureJsonLines(() => {
      createTracingWithoutLayer({}, 'svc');
      createTracingWithoutLayer(
        { ...LAMBDA_WITH_ACTIVE_TRACING, POWERTOOLS_TRACE_ENABLED: 'false' },
        'svc',
      );
      return Promise.resolve();
    });

    expect(lines).toEqual([]);
  });
});

/**
 * Tracing on, as in a Lambda function with active tracing and the tracing layer, which jest maps
 * to lib/xray-tracing.ts (jest.config.cjs): the Powertools Tracer only traces
 * inside a Lambda execution environment (AWS_EXECUTION_ENV), and traces hang off the segment
 * current in the X-Ray SDK's context, which Lambda's facade segment provides. Here the test
 * opens that segment itself and never closes it, so nothing is sent to a daemon.
 */
describe('createTracing when Lambda runs with active tracing', () => {
  const saved = process.env.AWS_EXECUTION_ENV;

  beforeEach(() => {
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    // The Tracer would otherwise patch node:http for the whole jest worker: later test files
    // then log X-Ray's "no segment" errors after their tests are done, which fails the run.
    process.env.POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS = 'false';
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_EXECUTION_ENV;
    else process.env.AWS_EXECUTION_ENV = saved;
    delete process.env.POWERTOOLS_TRACER_CAPTURE_HTTPS_REQUESTS;
  });

  /** Runs `work` with `segment` current, as Lambda's facade segment is during an invocation. */
  function inSegment<T>(segment: AWSXRay.Segment, work: () => Promise<T>): Promise<T> {
    return AWSXRay.getNamespace().runAndReturn(() => {
      AWSXRay.setSegment(segment);
      return work();
    });
  }

  function setup(): { tracing: Tracing; segment: AWSXRay.Segment } {
    return {
      tracing: createTracing(LAMBDA_WITH_ACTIVE_TRACING, 'svc'),
      segment: new AWSXRay.Segment('test-function'),
    };
  }

  function onlySubsegment(segment: AWSXRay.Segment): RecordedSubsegment {
    expect(segment.subsegments).toHaveLength(1);
    return segment.subsegments![0] as unknown as RecordedSubsegment;
  }

  it('is on and provides the handler middleware', () => {
    const { tracing } = setup();

    expect(tracing.enabled).toBe(true);
    expect(tracing.middleware).toEqual(expect.objectContaining({ before: expect.any(Function) }));
  });

  it('returns what the traced work returns', async () => {
    const { tracing, segment } = setup();

    const result = await inSegment(segment, () =>
      tracing.traced('Huawei DMS ShowConnectorTask', {}, () => Promise.resolve(42)),
    );

    expect(result).toBe(42);
  });

  it('records traced work as a closed subsegment of the current segment, with its annotations', async () => {
    const { tracing, segment } = setup();

    await inSegment(segment, () =>
      tracing.traced('Huawei DMS ShowConnectorTask', { taskId: 't-1', project: 'p' }, () =>
        Promise.resolve('ok'),
      ),
    );

    const subsegment = onlySubsegment(segment);
    expect(subsegment.name).toBe('Huawei DMS ShowConnectorTask');
    expect(subsegment.annotations).toEqual({ taskId: 't-1', project: 'p' });
    expect(subsegment.isClosed()).toBe(true);
    expect(subsegment.fault).toBeFalsy();
  });

  it('records a failure of traced work on its subsegment as a remote fault and rethrows it', async () => {
    const { tracing, segment } = setup();
    const failure = new Error('Huawei Cloud is unavailable.');

    const attempt = inSegment(segment, () =>
      tracing.traced('Huawei DMS ShowConnectorTask', { taskId: 't-1' }, () =>
        Promise.reject(failure),
      ),
    );

    await expect(attempt).rejects.toBe(failure);
    const subsegment = onlySubsegment(segment);
    expect(subsegment.isClosed()).toBe(true);
    expect(subsegment.fault).toBe(true);
    expect(subsegment.cause).toMatchObject({
      exceptions: [{ message: 'Huawei Cloud is unavailable.', remote: true }],
    });
  });

  it('leaves the current segment as it was: traced work is attached, not made current', async () => {
    const { tracing, segment } = setup();

    const current = await inSegment(segment, () =>
      tracing.traced('work', {}, () => Promise.resolve(AWSXRay.getSegment())),
    );

    expect(current).toBe(segment);
  });

  it('runs traced work untraced when there is no current segment', async () => {
    const { tracing } = setup();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const result = await AWSXRay.getNamespace().runAndReturn(() =>
      tracing.traced('work', { taskId: 't-1' }, () => Promise.resolve('done')),
    );

    expect(result).toBe('done');
    warn.mockRestore();
  });

  it('instruments an AWS SDK client with the X-Ray middleware', () => {
    const { tracing } = setup();
    const client = new DynamoDBClient({ region: 'eu-west-1' });

    const captured = tracing.captureClient(client);

    expect(captured.middlewareStack.identify()).toEqual(
      expect.arrayContaining([expect.stringContaining('XRaySDKInstrumentation')]),
    );
  });

  it("records an instrumented client's calls as AWS subsegments", async () => {
    const { tracing, segment } = setup();
    const client = tracing.captureClient(
      new DynamoDBClient({
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:1',
        credentials: { accessKeyId: 'AKIDTRACINGTEST', secretAccessKey: 'tracing-test' },
        requestHandler: answering('{"TableNames":[]}'),
      }),
    );

    await inSegment(segment, () => client.send(new ListTablesCommand({})));

    const subsegment = onlySubsegment(segment);
    expect(subsegment).toMatchObject({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: expect.objectContaining({ operation: 'ListTables' }),
    });
    expect(subsegment.isClosed()).toBe(true);
  });
});

/** A request handler that answers every request 200 with `body`, without a network. */
function answering(body: string): DynamoDBClientConfig['requestHandler'] {
  const response = {
    statusCode: 200,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r-1' },
    body: Readable.from([Buffer.from(body)]),
  };
  return { handle: () => Promise.resolve({ response }) } as DynamoDBClientConfig['requestHandler'];
}
