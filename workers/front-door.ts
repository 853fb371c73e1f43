/** Worker thread entry: one more front door of this process (src/threads/front-doors.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { runFrontDoorThread } from '../src/threads/front-door-thread.js';
import type { FrontDoorThreadData } from '../src/threads/messages.js';

if (parentPort === null) throw new Error('workers/front-door.js runs as a worker thread');
await runFrontDoorThread(workerData as FrontDoorThreadData, parentPort);
