import { createContainer } from '../lib/container';
import { createListTasksHandler } from '../lib/http/list-tasks';

export const handler = createListTasksHandler(createContainer());
