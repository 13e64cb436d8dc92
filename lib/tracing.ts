import { Tracer } from '@aws-lambda-powertools/tracer';

export function createTracer(serviceName = 'huawei-dms-connector-status'): Tracer {
  return new Tracer({ serviceName });
}

/**
 * Runs `work` in an X-Ray subsegment (the upstream call is not an AWS SDK call, so nothing else
 * traces it). The subsegment is attached, not made current: a poll runs many at once.
 */
export async function traced<T>(
  tracer: Tracer,
  name: string,
  annotations: Readonly<Record<string, string>>,
  work: () => Promise<T>,
): Promise<T> {
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  if (!parent) return work();
  const subsegment = parent.addNewSubsegment(name);
  for (const [key, value] of Object.entries(annotations)) subsegment.addAnnotation(key, value);
  try {
    return await work();
  } catch (error) {
    subsegment.addError(error as Error, true);
    throw error;
  } finally {
    subsegment.close();
  }
}
