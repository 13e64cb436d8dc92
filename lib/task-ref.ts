import * as z from 'zod/mini';

/**
 * Accepted identifier formats, kept in this one place. Huawei documents none of them as a rule;
 * every example is a UUID (instances, tasks) or 32 lowercase hex characters (projects), so that is
 * what we accept until evidence says otherwise. Being strict keeps path tricks from ever reaching
 * the signed upstream URL.
 */
export const ID_PATTERNS = {
  projectId: /^[0-9a-f]{32}$/,
  instanceId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  taskId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
} as const;

export const projectIdSchema = z
  .string()
  .check(z.regex(ID_PATTERNS.projectId, 'must be 32 lowercase hexadecimal characters'));
export const instanceIdSchema = z
  .string()
  .check(z.regex(ID_PATTERNS.instanceId, 'must be a lowercase UUID'));
export const taskIdSchema = z
  .string()
  .check(z.regex(ID_PATTERNS.taskId, 'must be a lowercase UUID'));

export const taskRefSchema = z.strictObject({
  projectId: projectIdSchema,
  instanceId: instanceIdSchema,
  taskId: taskIdSchema,
});

export const instanceRefSchema = z.strictObject({
  projectId: projectIdSchema,
  instanceId: instanceIdSchema,
});

/** Which Kafka instance: what a whole-instance watch or the list route names. */
export type InstanceRef = z.infer<typeof instanceRefSchema>;

/** Which Smart Connect task: the key of everything this service does. */
export type TaskRef = z.infer<typeof taskRefSchema>;

export function taskKey(ref: TaskRef): string {
  return `${ref.projectId}/${ref.instanceId}/${ref.taskId}`;
}

/** Which instance, as one string (the ids' patterns leave no room for a `/` inside one). */
export function instanceKey(instance: InstanceRef): string {
  return `${instance.projectId}/${instance.instanceId}`;
}
