import { createHistoryReaderContainer } from '../lib/http/history-container';
import { createTaskHistoryHandler } from '../lib/http/task-history';

export const handler = createTaskHistoryHandler(createHistoryReaderContainer());
