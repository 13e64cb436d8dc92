import { pollBatchMessageSchema, splitPlan } from '../../lib/poll/fan-out';
import { planWeight, type InstanceWatch, type PollPlan } from '../../lib/poll/poll-plan';
import type { TaskRef } from '../../lib/task-ref';
import { REF } from './status-fixtures';

const INSTANCE = { projectId: REF.projectId, instanceId: REF.instanceId };
const tasks = (count: number): TaskRef[] =>
  Array.from({ length: count }, (_, i) => ({
    ...INSTANCE,
    taskId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  }));
const instance = (n: number, taskIds: string[] = []): InstanceWatch => ({
  projectId: REF.projectId,
  instanceId: `59f6d088-1b2c-4d5e-8f90-${String(n).padStart(12, '0')}`,
  taskIds,
});
const shape = (batches: PollPlan[]) =>
  batches.map((batch) => [batch.instances.length, batch.tasks.length]);

describe('splitPlan', () => {
  it('fills each batch up to its size in tasks', () => {
    expect(shape(splitPlan({ tasks: tasks(7), instances: [] }, 3))).toEqual([
      [0, 3],
      [0, 3],
      [0, 1],
    ]);
  });

  it('counts an instance as one list page of tasks, plus those it watches by name', () => {
    const plan = { tasks: tasks(10), instances: [instance(1), instance(2, ['a', 'b'])] };

    // 50, then 52 (two names) + 10 tasks = 62: the third batch is needed below 62.
    expect(shape(splitPlan(plan, 62))).toEqual([
      [1, 0],
      [1, 10],
    ]);
    expect(shape(splitPlan(plan, 61))).toHaveLength(3);
  });

  it('sends an instance heavier than a batch alone', () => {
    const plan = { tasks: tasks(2), instances: [instance(1), instance(2)] };

    expect(shape(splitPlan(plan, 3))).toEqual([
      [1, 0],
      [1, 0],
      [0, 2],
    ]);
  });

  it('keeps the tasks of one instance together, instances in order of first appearance', () => {
    const [a, b, c, d] = tasks(4);
    const elsewhere = (ref: TaskRef): TaskRef => ({ ...ref, instanceId: instance(9).instanceId });
    const plan = { tasks: [a!, elsewhere(b!), c!, elsewhere(d!)], instances: [] };

    expect(splitPlan(plan, 2).map((batch) => batch.tasks)).toStrictEqual([
      [a, c],
      [elsewhere(b!), elsewhere(d!)],
    ]);
  });

  it('makes no batch of an empty plan', () => {
    expect(splitPlan({ tasks: [], instances: [] }, 3)).toEqual([]);
  });
});

describe('planWeight', () => {
  it('counts a task as one, an instance as one list page plus the tasks it watches by name', () => {
    expect(planWeight({ tasks: tasks(3), instances: [instance(1), instance(2, ['a', 'b'])] })).toBe(
      3 + 50 + 52,
    );
  });
});

describe('pollBatchMessageSchema', () => {
  it('accepts a message enqueued before instances were batched, as a batch of tasks', () => {
    const parsed = pollBatchMessageSchema.parse({ version: 1, tasks: tasks(1) });

    expect(parsed).toEqual({ version: 1, tasks: tasks(1), instances: [] });
  });

  it('refuses a message with nothing to poll', () => {
    expect(pollBatchMessageSchema.safeParse({ version: 1, tasks: [], instances: [] }).success).toBe(
      false,
    );
  });

  it('refuses an instance whose ids are not ones we accept', () => {
    const message = { version: 1, tasks: [], instances: [{ ...instance(1), taskIds: ['../x'] }] };

    expect(pollBatchMessageSchema.safeParse(message).success).toBe(false);
  });
});
