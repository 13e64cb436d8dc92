import * as z from 'zod/mini';
import { UpstreamContractError } from '../errors';
import type { CallOptions, DmsClient } from '../huawei/dms-client';
import { instanceIdSchema, type InstanceRef } from '../task-ref';

/** ListInstances' page size ceiling. */
export const INSTANCE_PAGE_LIMIT = 50;
/** 10,000 instances: far beyond any project's quota, so a runaway total cannot loop us. */
const MAX_INSTANCE_PAGES = 200;

/** Only what discovery needs: each instance's id, and the total to page towards. */
const instancePageSchema = z.object({
  instances: z.array(z.object({ instance_id: instanceIdSchema })),
  instance_num: z.number().check(z.int(), z.minimum(0)),
});

/**
 * Finds the Kafka instances of a watched project through ListInstances, one page after another,
 * so an instance created in the project is watched at the next poll. The next offset follows
 * what was received, as for task pages, so shorter pages than asked for cannot skip instances.
 */
export async function discoverProjectInstances(
  projectId: string,
  dms: Pick<DmsClient, 'listInstances'>,
  call: CallOptions,
): Promise<InstanceRef[]> {
  const ids = new Set<string>();
  let offset = 0;
  for (let page = 0; page < MAX_INSTANCE_PAGES; page++) {
    const response = await dms.listInstances(
      projectId,
      { offset, limit: INSTANCE_PAGE_LIMIT },
      call,
    );
    const parsed = instancePageSchema.safeParse(response.body);
    if (!parsed.success) {
      const error = new UpstreamContractError('the instance list is invalid');
      error.upstreamRequestId = response.requestId;
      error.attempts = response.attempts;
      throw error;
    }
    for (const instance of parsed.data.instances) ids.add(instance.instance_id);
    offset += parsed.data.instances.length;
    if (parsed.data.instances.length === 0 || offset >= parsed.data.instance_num) break;
  }
  return [...ids].map((instanceId) => ({ projectId, instanceId }));
}
