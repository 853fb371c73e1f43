/** What the main thread and a front-door thread (workers/front-door.ts) tell each other. */
import type { Config } from '../config/index.js';

export interface FrontDoorThreadData {
  config: Config;
  thread: number;
}

export type FrontDoorThreadMessage = { type: 'serving'; port: number } | { type: 'stop' } | { type: 'stopped' };
