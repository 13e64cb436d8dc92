import { createContainer } from '../lib/container';
import { createGetTaskHandler } from '../lib/http/get-task';

export const handler = createGetTaskHandler(createContainer());
