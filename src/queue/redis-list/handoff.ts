/** QUEUE=redis: lua/admit-4.lua pushed the request onto the list in the admission step itself. */
import type { IssueQueue } from '../queue.js';

export const alreadyQueued: IssueQueue = {
  enqueue: () => Promise.resolve(),
  accepting: () => true,
  close: () => Promise.resolve(),
};
