/**
 * TEST-ONLY worker entry (never used by the service): the real batch writer, but the first
 * task after the marker folder is set makes its thread exit after the rows are committed
 * (before answering), and the second throws an uncaught error before writing. Each crash
 * happens once per marker folder (an exclusive file create decides), so the redone batch
 * goes through. The folder comes from FC_TEST_CRASH_DIR, set by the test.
 */
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import handlerReady from '../../workers/batch-writer.js';
import type { TaskResult, WriterTask } from '../../src/consumer/writer-task.js';


type Crash = 'exit-after-commit' | 'throw-before-write';
const CRASHES: Crash[] = ['exit-after-commit', 'throw-before-write'];

/** The first crash not yet done, claimed atomically across threads. */
function claimCrash(): Crash | undefined {
  const dir = process.env.FC_TEST_CRASH_DIR;
  if (dir === undefined) return undefined;
  for (const crash of CRASHES) {
    try {
      closeSync(openSync(join(dir, crash), 'wx'));
      return crash;
    } catch {
      // Already done by an earlier task: try the next one.
    }
  }
  return undefined;
}

async function open(): Promise<(task: WriterTask) => Promise<TaskResult>> {
  const handler = await handlerReady;
  return async (task) => {
    const crash = claimCrash();
    if (crash === 'throw-before-write') {
      setImmediate(() => {
        throw new Error('test crash: uncaught error in a writer thread');
      });
      return new Promise<TaskResult>(() => undefined);
    }
    const result = await handler(task);
    if (crash === 'exit-after-commit') process.exit(1);
    return result;
  };
}

export default open();
