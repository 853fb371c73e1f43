/**
 * The pool of batch-writer threads. Callers keep at most one batch in flight per partition
 * (Piscina has no affinity); a thread that dies is replaced by Piscina and its task
 * rejects, so the caller redoes the batch.
 */
import { Piscina } from 'piscina';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { workerFile } from '../paths.js';
import { watchPool } from './metrics.js';
import { packTask, transferListOf, type RawMessage, type TaskResult, type WriterTask, type WriterWorkerData } from './writer-task.js';

export interface WriterPool {
  write(values: readonly RawMessage[], collectIssued: boolean): Promise<TaskResult>;
  /** Call once no write is in flight. */
  destroy(): Promise<void>;
}

export interface WriterPoolOptions {
  /** Another worker entry with the same contract (tests wrap the real one to inject crashes). */
  workerFile?: string;
}

export function createWriterPool(config: Config, log: Logger, options: WriterPoolOptions = {}): WriterPool {
  const threads = config.writer.threads;
  const workerData: WriterWorkerData = { mysql: config.mysql, log: config.log, chunkRows: config.writer.chunkRows, lockWaitTimeoutS: config.writer.lockWaitTimeoutS };
  const pool = new Piscina<WriterTask, TaskResult>({
    filename: options.workerFile ?? workerFile('batch-writer'),
    minThreads: threads,
    maxThreads: threads,
    // Threads never idle out (min = max), but Piscina wants a non-zero value to keep them.
    idleTimeout: 60_000,
    // Off: with atomics a worker blocks between tasks and its MySQL pool's timers and
    // sockets starve.
    useAtomics: false,
    workerData,
  });
  pool.on('error', (err: Error) => log.error({ err: err.message }, 'writer thread error'));
  // Read at scrape time only. Piscina's utilization is run time over (threads x time since
  // start); run time is that share of the capacity, in seconds.
  const unwatch = watchPool({
    utilization: () => pool.utilization,
    busySeconds: () => (pool.utilization * pool.duration * pool.maxThreads) / 1000,
    queueSize: () => pool.queueSize,
    threads: () => pool.threads.length,
  });
  return {
    write(values, collectIssued) {
      const task = packTask(values, collectIssued);
      return pool.run(task, { transferList: transferListOf(task) });
    },
    destroy() {
      unwatch();
      return pool.destroy();
    },
  };
}
