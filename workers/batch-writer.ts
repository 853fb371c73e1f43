/**
 * Piscina worker: stores one batch of admitted issue requests per task. The default export
 * is a promise of the handler, so the thread opens its MySQL pool and logger once and keeps
 * them between tasks (the pool runs with useAtomics off so its timers stay alive).
 */
import { threadId, workerData } from 'node:worker_threads';
import { createLogger } from '../src/logger.js';
import { createPool } from '../src/store/mysql.js';
import { runWriterTask, type TaskResult, type WriterTask, type WriterWorkerData } from '../src/consumer/writer-task.js';

async function open(): Promise<(task: WriterTask) => Promise<TaskResult>> {
  const settings = workerData as WriterWorkerData;
  const log = createLogger(settings.log).child({ module: 'batch-writer', thread: threadId });
  const pool = createPool(settings.mysql, settings.mysql.poolSize, { lockWaitTimeoutS: settings.lockWaitTimeoutS });
  return async (task) => {
    const result = await runWriterTask(pool, task, settings.chunkRows);
    for (const failure of result.failures) {
      log.warn({ code: failure.code, err: failure.message, messages: failure.indices.length, kind: failure.kind }, 'batch write failed');
    }
    return result;
  };
}

export default open();
