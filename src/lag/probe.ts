/**
 * Consumer lag: admitted requests not yet taken by a writer. Each transport reads its own
 * (queue/kafka/lag.ts: the group's committed offsets against the topic's end offsets;
 * queue/redis-list/lag.ts: the pending list plus what consumers hold). A probe reads on
 * demand with one call in flight at most, so a slow broker never holds up a snapshot or a
 * scrape. The readings feed the lag gauges of GET /metrics (metrics.ts) and the dashboard.
 */
import type { Logger } from '../logger.js';

export interface LagReading {
  /** Messages waiting; null until the first reading or while it cannot be read. */
  messages: number | null;
  /** Kafka: per partition. */
  partitions?: { partition: number; lag: number }[];
  /** Redis queue: the pending list and the consumers' processing lists (summed). */
  lists?: { pending: number; processing: number };
  /** When this reading was taken (epoch ms); 0 before the first. */
  at: number;
  error?: string;
}

/** What is measured, for metric labels. */
export interface LagSource {
  queue: 'kafka' | 'redis';
  topic: string;
  /** Kafka: the consumer group. */
  group?: string;
}

export interface LagProbe {
  readonly source: LagSource;
  latest(): LagReading;
  /** Starts a new reading unless one is in flight. */
  refresh(): void;
  /** The reading in flight, or a new one; never rejects (a failure is a reading with `error`). */
  read(): Promise<LagReading>;
  close(): Promise<void>;
}

export type LagReader = () => Promise<Omit<LagReading, 'at'>>;

export function lagProbe(source: LagSource, read: LagReader, close: () => Promise<void>, log: Logger): LagProbe {
  let latest: LagReading = { messages: null, at: 0 };
  let running: Promise<LagReading> | undefined;
  let failing = false;
  const start = (): Promise<LagReading> => {
    running ??= read().then(
      (reading) => {
        latest = { ...reading, at: Date.now() };
        failing = false;
        running = undefined;
        return latest;
      },
      (err: unknown) => {
        const message = (err as Error).message;
        // Once per failure streak, not once a second.
        if (!failing) log.warn({ err: message }, 'consumer lag unreadable');
        failing = true;
        latest = { messages: null, at: Date.now(), error: message };
        running = undefined;
        return latest;
      },
    );
    return running;
  };
  return {
    source,
    latest: () => latest,
    refresh: () => void start(),
    read: start,
    close,
  };
}

/** Kafka offsets as the admin API gives them (strings). */
export interface PartitionEnd {
  partition: number;
  low: string;
  high: string;
}

/**
 * Lag per partition: end offset minus the group's committed offset. The writers subscribe
 * from the beginning, so a partition with no commit (offset -1 or absent) lags from its start.
 */
export function lagFromOffsets(ends: readonly PartitionEnd[], committed: ReadonlyMap<number, number>): { messages: number; partitions: { partition: number; lag: number }[] } {
  const partitions = ends.map((end) => {
    const at = committed.get(end.partition) ?? -1;
    const from = at >= 0 ? at : Number(end.low);
    return { partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
  });
  return { messages: partitions.reduce((sum, entry) => sum + entry.lag, 0), partitions };
}
