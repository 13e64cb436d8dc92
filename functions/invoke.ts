import { createContainer } from '../lib/container';
import { createObserveTaskInvocationHandler } from '../lib/invoke/observe-task-invocation';

export const handler = createObserveTaskInvocationHandler(createContainer());
