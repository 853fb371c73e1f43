/**
 * Consumer lag for the dashboard: admitted requests not yet taken by a writer. Kafka: the
 * group's committed offsets against the topic's end offsets. Redis queue: the pending list
 * plus what consumers hold in their processing lists. Read on its own schedule with one
 * call in flight at most, so a slow broker never holds up a snapshot. The same readings feed
 * the lag gauges of GET /metrics (metrics.ts).
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.js';
import { redisQueueKeys } from '../gate/keys.js';
import type { Logger } from '../logger.js';
import { createKafka, type Admin } from '../queue/kafka-client.js';

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

type Reader = () => Promise<Omit<LagReading, 'at'>>;

function probe(source: LagSource, read: Reader, close: () => Promise<void>, log: Logger): LagProbe {
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

export function kafkaLagProbe(kafka: Config['kafka'], log: Logger): LagProbe {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  let closed = false;
  const connected = (): Promise<Admin> => {
    if (closed) return Promise.reject(new Error('dashboard stopped'));
    if (admin !== undefined) return Promise.resolve(admin);
    connecting ??= (async () => {
      const created = createKafka(kafka, log, '-dashboard').admin({ retry: { retries: 0 } });
      try {
        await created.connect();
      } catch (err) {
        connecting = undefined;
        throw err;
      }
      if (closed) {
        await created.disconnect();
        throw new Error('dashboard stopped');
      }
      admin = created;
      return created;
    })();
    return connecting;
  };
  const read: Reader = async () => {
    const client = await connected();
    const [ends, committed] = await Promise.all([client.fetchTopicOffsets(kafka.topic), client.fetchOffsets({ groupId: kafka.groupId, topics: [kafka.topic] })]);
    const committedBy = new Map((committed[0]?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
    // The writers subscribe from the beginning, so a partition with no commit lags from its start.
    const partitions = ends.map((end) => {
      const at = committedBy.get(end.partition) ?? -1;
      const from = at >= 0 ? at : Number(end.low);
      return { partition: end.partition, lag: Math.max(0, Number(end.high) - from) };
    });
    return { messages: partitions.reduce((sum, entry) => sum + entry.lag, 0), partitions };
  };
  return probe({ queue: 'kafka', topic: kafka.topic, group: kafka.groupId }, read, async () => {
    closed = true;
    const open = admin;
    admin = undefined;
    if (open !== undefined) await open.disconnect();
  }, log);
}

export function redisLagProbe(redis: Redis, topic: string, log: Logger): LagProbe {
  const keys = redisQueueKeys(topic);
  const read: Reader = async () => {
    const consumers = await redis.zrange(keys.consumers, 0, -1);
    const [pending, ...processing] = await Promise.all([redis.llen(keys.pending), ...consumers.map((id) => redis.llen(keys.processing(id)))]);
    const lists = { pending: pending as number, processing: processing.reduce((sum, n) => sum + n, 0) };
    return { messages: lists.pending + lists.processing, lists };
  };
  return probe({ queue: 'redis', topic }, read, async () => undefined, log);
}
