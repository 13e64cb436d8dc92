import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { AWS_CLIENT_CONFIG } from '../aws-client-config';
import { boundaryErrors } from '../boundary-error';
import type { ConnectorTask } from '../connector-task';
import type { Container } from '../container';
import { lambdaHandler } from '../lambda-handler';
import { upstreamDeadline } from '../deadline';
import { InvalidRequestError, ProjectNotServedError } from '../errors';
import { instanceIdSchema, projectIdSchema, taskIdSchema, type TaskRef } from '../task-ref';
import '../zod-locale';

export const invokeInputSchema = z
  .object({
    projectId: z
      .optional(projectIdSchema)
      .check(z.describe('Optional when the deployment serves exactly one project.')),
    instanceId: instanceIdSchema,
    taskId: taskIdSchema,
  })
  .check(z.describe('Direct-invoke input (e.g. from a Step Functions Task state).'));

export interface InvokeOutput {
  readonly task: ConnectorTask;
  readonly statusChanged: boolean;
  readonly previousStatus: string | null;
}

export function taskRefFromInvokeInput(
  input: unknown,
  served: { projectIds: ReadonlySet<string>; defaultProjectId: string | undefined },
): TaskRef {
  const parsed = invokeInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new InvalidRequestError(
      'Invalid invocation input: expected {"projectId"?, "instanceId", "taskId"}.',
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.') || '(input)',
        problem: issue.code === 'invalid_type' ? `must be a ${issue.expected}` : issue.message,
      })),
    );
  }
  const projectId = parsed.data.projectId ?? served.defaultProjectId;
  if (projectId === undefined) {
    throw new InvalidRequestError(
      'projectId is required: this deployment serves several projects.',
      [{ field: 'projectId', problem: 'is required' }],
    );
  }
  if (!served.projectIds.has(projectId)) throw new ProjectNotServedError();
  return { projectId, instanceId: parsed.data.instanceId, taskId: parsed.data.taskId };
}

export type InvokeHandler = middy.MiddyfiedHandler<unknown, InvokeOutput, Error, Context>;

type InvokeMiddleware = middy.MiddlewareObj<unknown, InvokeOutput, Error, Context>;

/**
 * Direct invoke for workflows: errors are thrown with stable names for Retry/Catch. The same
 * payload within INVOKE_IDEMPOTENCY_TTL_SECONDS replays the first result (a Lambda invoked twice
 * for one state answers the same); failures are not replayed, so Retry re-runs them.
 */
export function createObserveTaskInvocationHandler(container: Container): InvokeHandler {
  const { config, clock, logger, metrics, observer } = container;
  // Order matters: `before` runs in `.use` order, `onError` in reverse, so the input is refused
  // before idempotency hashes it, and boundaryErrors sees every error, idempotency's included.
  const handler = lambdaHandler<unknown, InvokeOutput>(container)
    .use(boundaryErrors<unknown, InvokeOutput>(logger, metrics))
    .use(refuseInvalidInput(config.huawei));
  if (config.invokeIdempotencyTtlSeconds > 0) {
    handler.use(
      releasingOnlyOwnRecord(
        makeHandlerIdempotent({
          persistenceStore: idempotencyStore(container),
          config: new IdempotencyConfig({
            expiresAfterSeconds: config.invokeIdempotencyTtlSeconds,
            throwOnNoIdempotencyKey: true,
          }),
        }) as InvokeMiddleware,
        logger,
      ),
    );
  }
  return handler.handler(async (event, context, { signal }) => {
    const ref = taskRefFromInvokeInput(event, config.huawei);
    const deadline = upstreamDeadline(clock, context, config.upstream.defaultDeadlineMs);
    const { task, statusChanged, previousStatus } = await observer.observe(ref, {
      deadline,
      signal,
    });
    return { task, statusChanged, previousStatus };
  });
}

/**
 * Powertools' persistence layer needs an AWS SDK client, which only this function bundles: the
 * request paths use our own DynamoDB client (lib/aws/dynamodb-client.ts).
 */
function idempotencyStore(container: Container): DynamoDBPersistenceLayer {
  const tableName = container.config.statusTableName;
  return container.idempotencyDynamoDb
    ? new DynamoDBPersistenceLayer({
        tableName,
        keyAttr: 'pk',
        awsSdkV3Client: container.idempotencyDynamoDb,
      })
    : new DynamoDBPersistenceLayer({ tableName, keyAttr: 'pk', clientConfig: AWS_CLIENT_CONFIG });
}

/**
 * Without it, idempotency would hash `null` or `{}` first and fail with its own error, and
 * a payload that can never succeed would cost a DynamoDB write.
 */
function refuseInvalidInput(served: Container['config']['huawei']): InvokeMiddleware {
  return {
    before: (request) => {
      taskRefFromInvokeInput(request.event, served);
    },
  };
}

const RECORD_WRITTEN = 'invoke.idempotencyRecordWritten';

/**
 * Powertools' onError deletes the in-progress record even when its own `before` failed: with
 * DynamoDB down that second call fails too, and a throw from an onError skips the later ones
 * (boundaryErrors), so the caller got a raw IdempotencyPersistenceLayerError; when another
 * invocation holds the record, it would delete that invocation's record. So: release only a
 * record this invocation wrote, and let a failed release not replace the caller's error (the
 * record then expires with the in-progress timeout).
 */
function releasingOnlyOwnRecord(idempotency: InvokeMiddleware, logger: Logger): InvokeMiddleware {
  return {
    before: async (request) => {
      const replay: unknown = await idempotency.before?.(request);
      (request.internal as Record<string, unknown>)[RECORD_WRITTEN] = true;
      return replay;
    },
    ...(idempotency.after ? { after: idempotency.after } : {}),
    onError: async (request) => {
      if ((request.internal as Record<string, unknown>)[RECORD_WRITTEN] !== true) return;
      try {
        await idempotency.onError?.(request);
      } catch (error) {
        logger.warn('Could not release the idempotency record; it expires on its own', {
          error: error instanceof Error ? error : String(error),
        });
      }
    },
  };
}
