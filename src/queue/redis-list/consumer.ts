/**
 * QUEUE=redis: `writer.threads` loops, each a queue consumer with its own processing
 * list, so as many batches are in flight as there are writer threads. A batch leaves its
 * processing list only after its rows are committed; a consumer that dies leaves its list
 * to be moved back to pending by the others (or by the next start).
 *
 * Dead letters go to the Redis list `<pending>:dlq` (JSON: value, reason, error,
 * attempts, at): this mode must run without Kafka. Coupon-issued events, when configured,
 * still go to Kafka.
 */
import { Redis } from 'ioredis';
import type { Config } from '../../config/index.js';
import { backoffMs, pause } from '../../consumer/backoff.js';
import { countSettled } from '../../consumer/metrics.js';
import { persistBatch } from '../../consumer/persist.js';
import type { RunningConsumer } from '../../consumer/running.js';
import { deliver, deliverOutputs, type DeadLetterMarks, type DeadLetterRecord, type IssuedSink } from '../../consumer/sinks.js';
import type { WriterPool } from '../../consumer/writer-pool.js';
import { processInstanceId } from '../../ids.js';
import type { Logger } from '../../logger.js';
import { createRedis } from '../../redis/client.js';
import { connectIssuedPublisher, type IssuedPublisher } from '../kafka/issued.js';
import { createRedisQueue, type RedisQueue } from './queue.js';

/** How long one blocking wait for work lasts (bounds how long stop() waits for it). */
const BLOCK_SECONDS = 1;
const HEARTBEAT_EVERY_MS = 2_000;
/** A consumer silent this long is dead: its items go back to pending. */
const DEAD_AFTER_MS = 10_000;
const RECOVER_EVERY_MS = 5_000;

function createBlockingRedis(config: Config, log: Logger): Redis {
  const client = new Redis(config.redis.url, {
    connectionName: 'flash-coupon-queue-wait',
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Longer than the block itself, or every idle wait would time out.
    commandTimeout: BLOCK_SECONDS * 1000 + config.redis.commandTimeoutMs,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(200 * times, 1000),
  });
  client.on('error', (err: Error) => log.debug({ err: err.message }, 'redis (blocking) error'));
  return client;
}

export async function startRedisConsumer(config: Config, parentLog: Logger, writer: WriterPool, marks?: DeadLetterMarks): Promise<RunningConsumer> {
  const log = parentLog.child({ module: 'redis-consumer' });
  const redis = createRedis(config.redis, log, 'queue');
  const queue = createRedisQueue(redis, config.kafka.topic);
  const base = processInstanceId();
  const consumerIds = Array.from({ length: config.writer.threads }, (_, i) => `${base}-${i}`);
  let publisher: IssuedPublisher | undefined;
  try {
    await redis.connect();
    publisher = await connectIssuedPublisher(config.kafka, parentLog);
    // Registered before taking anything, so our lists are never mistaken for orphans.
    await queue.heartbeat(consumerIds);
    const recovered = await queue.recoverDead(DEAD_AFTER_MS);
    if (recovered > 0) log.warn({ items: recovered }, 'moved items of dead consumers back to pending');
  } catch (err) {
    redis.disconnect();
    await publisher?.disconnect().catch(() => undefined);
    throw err;
  }
  const stopping = new AbortController();
  const beat = setInterval(() => {
    queue.heartbeat(consumerIds).catch((err: Error) => log.warn({ err: err.message }, 'queue heartbeat failed'));
  }, HEARTBEAT_EVERY_MS);
  const sweep = setInterval(() => {
    queue.recoverDead(DEAD_AFTER_MS).then(
      (moved) => moved > 0 && log.warn({ items: moved }, 'moved items of dead consumers back to pending'),
      (err: Error) => log.warn({ err: err.message }, 'queue recovery failed'),
    );
  }, RECOVER_EVERY_MS);

  const blockingClients = consumerIds.map(() => createBlockingRedis(config, log));
  const loops = consumerIds.map((consumerId, i) =>
    consumeLoop({ config, log, queue, writer, issued: publisher?.issued, marks, consumerId, blocking: blockingClients[i] as Redis, signal: stopping.signal }),
  );
  log.info({ pending: queue.keys.pending, consumers: consumerIds.length }, 'redis queue consumer started');

  return {
    async stop() {
      stopping.abort();
      // Cuts a blocking wait short; the loops finish the batch they hold first.
      for (const client of blockingClients) client.disconnect();
      await Promise.all(loops);
      clearInterval(beat);
      clearInterval(sweep);
      // Anything still held (a batch abandoned mid-retry) goes back to pending now.
      for (const consumerId of consumerIds) {
        await queue.release(consumerId).catch((err: Error) => log.warn({ err: err.message, consumerId }, 'could not hand back held items'));
      }
      await redis.quit().catch(() => redis.disconnect());
      await publisher?.disconnect();
      log.info('redis queue consumer stopped');
    },
  };
}

interface LoopContext {
  config: Config;
  log: Logger;
  queue: RedisQueue;
  writer: WriterPool;
  issued: IssuedSink | undefined;
  marks: DeadLetterMarks | undefined;
  consumerId: string;
  blocking: Redis;
  signal: AbortSignal;
}

async function consumeLoop(context: LoopContext): Promise<void> {
  const { config, log, queue, consumerId, blocking, signal } = context;
  const baseMs = config.writer.retryBaseMs;
  let failedRounds = 0;
  while (!signal.aborted) {
    try {
      if (blocking.status === 'wait') await blocking.connect();
      const batch = await queue.take(consumerId, config.writer.redisQueueBatch);
      if (batch.length === 0) {
        // Nothing pending: wait for the next item (it lands in our processing list and is
        // picked up, with whatever followed it, by the next take).
        await queue.awaitItem(blocking, consumerId, BLOCK_SECONDS);
      } else {
        await storeBatch(context, batch);
      }
      failedRounds = 0;
    } catch (err) {
      if (signal.aborted) break;
      failedRounds++;
      const delay = backoffMs(baseMs, failedRounds);
      log.warn({ err: (err as Error).message, consumerId, delayMs: delay }, 'redis queue unavailable, retrying');
      await pause(delay, signal);
    }
  }
}

/** Stores and acknowledges one batch; leaves it held (not acknowledged) when stopping first. */
async function storeBatch(context: LoopContext, batch: string[]): Promise<void> {
  const { config, log, queue, writer, issued, marks, consumerId, signal } = context;
  const outcome = await persistBatch(writer, batch, {
    attempts: config.writer.retryAttempts,
    baseMs: config.writer.retryBaseMs,
    collectIssued: issued !== undefined,
    signal,
    log,
  });
  if (outcome === undefined) return;
  const deadLetters = outcome.deadLetters.map(
    (letter): DeadLetterRecord => ({
      value: batch[letter.index] as string,
      key: null,
      reason: letter.reason,
      error: letter.error,
      attempts: letter.attempts,
      origin: { queue: queue.keys.pending },
    }),
  );
  const settings = { signal, log, baseMs: config.writer.retryBaseMs };
  if (!(await deliverOutputs({ deadLetters: queue.deadLetterSink, issued, marks }, { deadLetters, issued: outcome.issued }, settings))) return;
  countSettled(outcome.counts);
  // Must succeed before the next take, or the processing list and the batch disagree.
  await deliver('queue ack', () => queue.ack(consumerId, batch.length), signal, log, config.writer.retryBaseMs);
}
