import { createWatchRoutesHandler } from '../lib/http/watch-routes';
import { createWatchRoutesContainer } from '../lib/watches/watch-container';

export const handler = createWatchRoutesHandler(createWatchRoutesContainer());
