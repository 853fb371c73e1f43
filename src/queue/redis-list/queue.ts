/**
 * QUEUE=redis: the consumer's side of the reliable list queue. The gate's admission script
 * RPUSHes to `pending`; a consumer moves items to its own `processing:<id>` list (atomic,
 * so an item is never in neither list), stores them, then trims them off. Consumers
 * register a heartbeat in the `consumers` sorted set; the items of one that stops beating
 * are moved back to `pending` by whoever notices.
 */
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../redis/client.js';
import type { DeadLetterRecord, DeadLetterSink } from '../../consumer/sinks.js';
import { defineScript, integerReply, stringArrayReply } from '../../redis/scripts.js';
import { redisQueueKeys, type RedisQueueKeys } from './keys.js';

/** Far-future cutoff: a consumer stopping gracefully recovers its own list regardless. */
const ALWAYS = String(Number.MAX_SAFE_INTEGER);

/** queue-recover-3: items moved back, or -1 when the consumer is alive (then 0 are moved). */
export function decodeRecoverReply(reply: unknown): number {
  return Math.max(0, integerReply('queue-recover-3', reply));
}

/** One dead letter as stored in the Redis DLQ list. */
export interface RedisDeadLetter {
  value: string | null;
  reason: string;
  error: string;
  attempts: number;
  at: string;
}

export interface RedisQueue {
  keys: RedisQueueKeys;
  /**
   * The consumer's next batch of up to `max` items: what its processing list still holds,
   * topped up from pending. Acknowledge with ack(consumerId, batch.length).
   */
  take(consumerId: string, max: number): Promise<string[]>;
  /** Waits for one item and moves it to the processing list (on a connection of its own). */
  awaitItem(blocking: Redis, consumerId: string, seconds: number): Promise<boolean>;
  /** Drops the first `count` items of the processing list: they are stored. */
  ack(consumerId: string, count: number): Promise<void>;
  heartbeat(consumerIds: readonly string[]): Promise<void>;
  /** Moves back the items of consumers silent for longer than `silentMs`; returns items moved. */
  recoverDead(silentMs: number): Promise<number>;
  /** A stopping consumer hands back what it still holds and leaves. */
  release(consumerId: string): Promise<number>;
  deadLetterSink: DeadLetterSink;
}

export function createRedisQueue(redis: RedisClient, topic: string): RedisQueue {
  const keys = redisQueueKeys(topic);
  const takeScript = defineScript(redis, 'queue-take-2', (reply) => stringArrayReply('queue-take-2', reply));
  const recoverScript = defineScript(redis, 'queue-recover-3', decodeRecoverReply);
  const processingPrefix = keys.processing('');

  const recover = (consumerId: string, cutoff: string): Promise<number> =>
    recoverScript.run([keys.consumers, keys.processing(consumerId), keys.pending], [consumerId, cutoff]);

  return {
    keys,
    async take(consumerId, max) {
      return takeScript.run([keys.pending, keys.processing(consumerId)], [max]);
    },
    async awaitItem(blocking, consumerId, seconds) {
      return (await blocking.blmove(keys.pending, keys.processing(consumerId), 'LEFT', 'RIGHT', seconds)) !== null;
    },
    async ack(consumerId, count) {
      await redis.ltrim(keys.processing(consumerId), count, -1);
    },
    async heartbeat(consumerIds) {
      const now = Date.now();
      await redis.zadd(keys.consumers, ...consumerIds.flatMap((id) => [now, id]));
    },
    async recoverDead(silentMs) {
      const cutoff = String(Date.now() - silentMs);
      // Registered consumers that went silent, plus processing lists whose owner is not
      // registered at all (it died before its first heartbeat was kept, or was forgotten).
      const candidates = new Set(await redis.zrangebyscore(keys.consumers, '-inf', `(${cutoff}`));
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', `${processingPrefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of found) candidates.add(key.slice(processingPrefix.length));
      } while (cursor !== '0');
      let moved = 0;
      for (const consumerId of candidates) moved += await recover(consumerId, cutoff);
      return moved;
    },
    release: (consumerId) => recover(consumerId, ALWAYS),
    deadLetterSink: {
      async send(records: readonly DeadLetterRecord[]) {
        const at = new Date().toISOString();
        const entries = records.map((record) => {
          const value = record.value === null ? null : record.value.toString();
          const letter: RedisDeadLetter = { value, reason: record.reason, error: record.error, attempts: record.attempts, at };
          return JSON.stringify(letter);
        });
        for (let start = 0; start < entries.length; start += 1000) await redis.rpush(keys.deadLetters, ...entries.slice(start, start + 1000));
      },
    },
  };
}
