/** What the main thread and a front-door thread (workers/front-door.ts) tell each other. */
import type { Config } from '../config/index.js';

export interface FrontDoorThreadData {
  config: Config;
  thread: number;
}

export type FrontDoorThreadMessage =
  | { type: 'serving'; port: number }
  | { type: 'stop' }
  | { type: 'stopped' }
  // /metrics (src/threads/metrics.ts): the main thread asks each thread for its metrics; a
  // thread that got the scrape asks the main thread for the sum.
  | { type: 'metrics-json-request'; id: number }
  | { type: 'metrics-json'; id: number; metrics: unknown[] }
  | { type: 'metrics-text-request'; id: number }
  | { type: 'metrics-text'; id: number; text?: string; error?: string };
