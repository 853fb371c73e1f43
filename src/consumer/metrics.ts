/**
 * Metrics of the persistence path, on prom-client's default registry (served by
 * GET /metrics). Created once per process, shared by every consumer in it. Nothing here is
 * touched per message: counters and histograms move once per batch or transaction, and the
 * pool gauges are read only when /metrics is scraped.
 */
import { Counter, Gauge, Histogram } from 'prom-client';

export const dlqMessages = new Counter({
  name: 'flash_coupon_dlq_messages_total',
  help: 'Messages sent to the dead-letter queue, by reason (UNDECODABLE, WRITE_FAILED)',
  labelNames: ['reason'] as const,
});

/** outcome="inserted" counts the rows stored: its rate is the writers' rows/s. */
export const writerMessages = new Counter({
  name: 'flash_coupon_writer_messages_total',
  help: 'Messages settled by the batch writer, by outcome (inserted = rows stored, duplicate, rejected)',
  labelNames: ['outcome'] as const,
});

export const writerRetries = new Counter({
  name: 'flash_coupon_writer_retries_total',
  help: 'Batches (or parts) written again after a failure',
});

export const writerBatchMessages = new Histogram({
  name: 'flash_coupon_writer_batch_messages',
  help: 'Messages per batch taken off the queue and handed to the writers (a Kafka partition fetch or a Redis-list take)',
  buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
});

export const writerTransactionSeconds = new Histogram({
  name: 'flash_coupon_writer_transaction_seconds',
  help: 'Committed batch-writer transactions (one per coupon per batch), BEGIN to COMMIT, including the wait for the coupon row lock',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

export function countSettled(counts: { inserted: number; duplicates: number; rejected: number }): void {
  if (counts.inserted > 0) writerMessages.inc({ outcome: 'inserted' }, counts.inserted);
  if (counts.duplicates > 0) writerMessages.inc({ outcome: 'duplicate' }, counts.duplicates);
  if (counts.rejected > 0) writerMessages.inc({ outcome: 'rejected' }, counts.rejected);
}

/** What a writer pool tells the gauges, read at scrape time. */
export interface PoolStats {
  /** Share of thread time spent running tasks since the pool started (Piscina's `utilization`). */
  utilization(): number;
  /** Seconds the threads spent running tasks since the pool started. */
  busySeconds(): number;
  /** Tasks waiting for a free thread. */
  queueSize(): number;
  threads(): number;
}

/** The pools of this process (one per running consumer; tests may start several). */
const pools = new Set<PoolStats>();
/** Busy seconds of pools already stopped, so the counter never goes back. */
let retiredBusySeconds = 0;

const sum = (read: (stats: PoolStats) => number): number => {
  let total = 0;
  for (const stats of pools) total += read(stats);
  return total;
};

// Labelled by nothing, so each reports 0 in a process without writer threads (an `api` role).
export const writerPoolUtilization = new Gauge({
  name: 'flash_coupon_writer_pool_utilization',
  help: 'Share (0-1) of writer-thread time spent running batches since the pool started (Piscina utilization); for a recent window use rate(flash_coupon_writer_pool_busy_seconds_total) / flash_coupon_writer_pool_threads',
  collect() {
    // Several pools: weighted by their threads.
    const threads = sum((stats) => stats.threads());
    this.set(threads === 0 ? 0 : sum((stats) => stats.utilization() * stats.threads()) / threads);
  },
});

export const writerPoolBusySeconds = new Counter({
  name: 'flash_coupon_writer_pool_busy_seconds_total',
  help: 'Seconds the writer threads spent running batches',
  collect() {
    this.reset();
    this.inc(retiredBusySeconds + sum((stats) => stats.busySeconds()));
  },
});

export const writerPoolQueueSize = new Gauge({
  name: 'flash_coupon_writer_pool_queue_size',
  help: 'Batches waiting for a free writer thread',
  collect() {
    this.set(sum((stats) => stats.queueSize()));
  },
});

export const writerPoolThreads = new Gauge({
  name: 'flash_coupon_writer_pool_threads',
  help: 'Writer threads running',
  collect() {
    this.set(sum((stats) => stats.threads()));
  },
});

/** Reports a pool on the gauges until the returned function is called (when it stops). */
export function watchPool(stats: PoolStats): () => void {
  pools.add(stats);
  return () => {
    if (!pools.delete(stats)) return;
    retiredBusySeconds += stats.busySeconds();
  };
}
