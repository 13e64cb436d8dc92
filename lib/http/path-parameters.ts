import * as z from 'zod/mini';
import { InvalidRequestError, ProjectNotServedError } from '../errors';
import {
  instanceIdSchema,
  projectIdSchema,
  taskIdSchema,
  type InstanceRef,
  type TaskRef,
} from '../task-ref';
import '../zod-locale';

/** A whole-project watch's path parameters. */
export const projectPathSchema = z.object({
  project_id: projectIdSchema.check(
    z.describe('Huawei Cloud project ID (32 lowercase hex characters).'),
  ),
});

/** The list route's path parameters; the OpenAPI document's parameters are generated from this. */
export const instancePathSchema = z.extend(projectPathSchema, {
  instance_id: instanceIdSchema.check(z.describe('DMS for Kafka instance ID (a lowercase UUID).')),
});

/** The single-task route's path parameters. */
export const taskPathSchema = z.extend(instancePathSchema, {
  task_id: taskIdSchema.check(z.describe('Smart Connect task ID (a lowercase UUID).')),
});

type PathParameters = Readonly<Record<string, string | undefined>> | undefined;

/**
 * Validates a route's path parameters before anything is sent upstream: malformed is 400 naming
 * each field, a project this deployment does not serve is 403.
 */
function parsePath<
  S extends typeof projectPathSchema | typeof instancePathSchema | typeof taskPathSchema,
>(schema: S, pathParameters: PathParameters, servedProjects: ReadonlySet<string>): z.infer<S> {
  const parsed = schema.safeParse(pathParameters ?? {});
  if (!parsed.success) {
    throw new InvalidRequestError(
      'Invalid path parameters.',
      parsed.error.issues.map((issue) => ({
        field: issue.path.map(String).join('.'),
        problem: issue.code === 'invalid_type' ? 'is required' : issue.message,
      })),
    );
  }
  if (!servedProjects.has(parsed.data.project_id)) throw new ProjectNotServedError();
  return parsed.data as z.infer<S>;
}

export function taskRefFromPath(
  pathParameters: PathParameters,
  servedProjects: ReadonlySet<string>,
): TaskRef {
  const path = parsePath(taskPathSchema, pathParameters, servedProjects);
  return { projectId: path.project_id, instanceId: path.instance_id, taskId: path.task_id };
}

export function instanceRefFromPath(
  pathParameters: PathParameters,
  servedProjects: ReadonlySet<string>,
): InstanceRef {
  const path = parsePath(instancePathSchema, pathParameters, servedProjects);
  return { projectId: path.project_id, instanceId: path.instance_id };
}

export function projectIdFromPath(
  pathParameters: PathParameters,
  servedProjects: ReadonlySet<string>,
): string {
  return parsePath(projectPathSchema, pathParameters, servedProjects).project_id;
}
