/**
 * Piscina worker: stores one batch of admitted issue requests per task. The default export
 * is a promise of the handler, so the thread opens its MySQL pool and logger once and keeps
 * them between tasks (the pool runs with useAtomics off so its timers stay alive).
 */
import { threadId, workerData } from 'node:worker_threads';
import { createLogger } from '../src/logger.js';
import { createPool } from '../src/store/mysql.js';
import { writeBatch, type BatchResult } from '../src/store/batch-writer.js';
import { unpackTask, type WriterTask, type WriterWorkerData } from '../src/consumer/writer-task.js';

async function open(): Promise<(task: WriterTask) => Promise<BatchResult>> {
  const settings = workerData as WriterWorkerData;
  const log = createLogger(settings.log).child({ module: 'batch-writer', thread: threadId });
  const pool = createPool(settings.mysql);
  return async (task) => {
    const result = await writeBatch(pool, unpackTask(task), { chunkRows: settings.chunkRows, collectIssued: task.collectIssued });
    for (const failure of result.failures) {
      log.warn({ code: failure.code, err: failure.message, messages: failure.indices.length, unavailable: failure.unavailable }, 'batch write failed');
    }
    return result;
  };
}

export default open();
