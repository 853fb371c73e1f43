/**
 * QUEUE=kafka: a consumer-group member that hands each fetched partition batch to the
 * writer threads. One batch in flight per partition, partitions side by side; offsets
 * are resolved and committed only after the batch's rows are committed in MySQL and its
 * dead letters and events are acknowledged by Kafka.
 */
import type { EachBatchPayload } from 'kafkajs';
import type { Config } from '../../config/index.js';
import { pause } from '../../consumer/backoff.js';
import { countSettled } from '../../consumer/metrics.js';
import { persistBatch } from '../../consumer/persist.js';
import type { RunningConsumer } from '../../consumer/running.js';
import { deliverOutputs, type DeadLetterMarks, type DeadLetterRecord } from '../../consumer/sinks.js';
import type { WriterPool } from '../../consumer/writer-pool.js';
import type { Logger } from '../../logger.js';
import { createKafka, ensureTopics, whileTopicSettles, type KafkaClient } from './client.js';
import { connectKafkaPublisher } from './publisher.js';

/** kafkajs only sends a heartbeat when its own interval (3 s) is due; this just asks often. */
const HEARTBEAT_EVERY_MS = 1_000;
/** A member stopped by a crash kafkajs does not restart is started again after 500 ms, doubled up to 5 s. */
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 5_000;

async function partitionCount(kafka: KafkaClient, settings: Config['kafka']): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, settings);
    const metadata = await whileTopicSettles(() => admin.fetchTopicMetadata({ topics: [settings.topic] }));
    // The topic may predate the current KAFKA_PARTITIONS: its real count decides.
    return metadata.topics[0]?.partitions.length ?? settings.partitions;
  } finally {
    await admin.disconnect();
  }
}

export async function startKafkaConsumer(config: Config, parentLog: Logger, writer: WriterPool, marks?: DeadLetterMarks): Promise<RunningConsumer> {
  const log = parentLog.child({ module: 'kafka-consumer' });
  const settings = config.kafka;
  const kafka = createKafka(settings, parentLog, '-writer');
  const partitions = await partitionCount(kafka, settings);
  const publisher = await connectKafkaPublisher(kafka, settings);
  const consumer = kafka.consumer({
    groupId: settings.groupId,
    minBytes: 1,
    maxWaitTimeInMs: settings.maxWaitMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    allowAutoTopicCreation: false,
    // A member that dies without leaving holds its partitions until this expires (kafkajs
    // default 30 s; ours 10 s bounds the stall after a crash); heartbeats go every 3 s,
    // also during long batches.
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: 3_000,
  });
  const stopping = new AbortController();
  // kafkajs restarts a crashed member only after errors it deems retriable. "Failed to find
  // group coordinator" (a broker still loading its offsets topic, or back from a freeze) is
  // not one: the member stays stopped for good (kafkajs#1445) and no row is written again
  // while the front door keeps answering 202. Such a crash is restarted here, with backoff.
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;
  const restart = (): void => {
    if (stopping.signal.aborted || restartTimer !== undefined) return;
    restarts++;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping.signal.aborted) return;
      // A crash inside run() comes back through CRASH; a failed connect does not, so it is retried here.
      consumer.connect().then(
        () => consumer.run(runOptions),
        (err: unknown) => {
          log.warn({ err: (err as Error).message, restarts }, 'kafka consumer restart: cannot connect, trying again');
          restart();
        },
      );
    }, Math.min(RESTART_BASE_MS * 2 ** (restarts - 1), RESTART_MAX_MS));
  };
  consumer.on(consumer.events.CRASH, (event) => {
    log.error({ err: event.payload.error.message, restart: event.payload.restart }, 'kafka consumer crashed');
    if (!event.payload.restart) restart();
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    if (restarts > 0) log.warn({ restarts }, 'kafka consumer back in its group after a crash kafkajs does not restart');
    restarts = 0;
  });

  async function handleBatch({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    // Stops waiting (never a running transaction) when the consumer stops or its group
    // membership is lost: the batch is then left unacknowledged and comes back.
    const lost = new AbortController();
    const signal = AbortSignal.any([stopping.signal, lost.signal]);
    const beat = setInterval(() => {
      heartbeat().catch((err: Error) => {
        log.warn({ err: err.message, partition: batch.partition }, 'heartbeat failed; batch will be redone');
        lost.abort();
      });
    }, HEARTBEAT_EVERY_MS);
    try {
      const messages = batch.messages;
      const outcome = await persistBatch(
        writer,
        messages.map((message) => message.value),
        { attempts: config.writer.retryAttempts, baseMs: config.writer.retryBaseMs, collectIssued: publisher.issued !== undefined, signal, log },
      );
      if (outcome === undefined) return;
      const deadLetters = outcome.deadLetters.map((letter): DeadLetterRecord => {
        const message = messages[letter.index] as (typeof messages)[number];
        return {
          value: message.value,
          key: message.key,
          reason: letter.reason,
          error: letter.error,
          attempts: letter.attempts,
          origin: { topic: batch.topic, partition: String(batch.partition), offset: message.offset },
        };
      });
      const delivered = await deliverOutputs({ ...publisher, marks }, { deadLetters, issued: outcome.issued }, { signal, log, baseMs: config.writer.retryBaseMs });
      if (!delivered) return;
      countSettled(outcome.counts);
      resolveOffset(batch.lastOffset());
      // kafkajs commits resolved offsets right after this batch returns; this commits
      // earlier when an auto-commit interval or threshold is configured.
      await commitOffsetsIfNecessary();
      // A batch that did not fill one INSERT means a steady trickle: waiting a moment before
      // the next fetch lets it gather, so it is stored in fewer, larger transactions, which
      // costs the database and the writers far less per row (docs/TUNING.md, consumer linger).
      if (settings.consumerLingerMs > 0 && messages.length < config.writer.chunkRows) await pause(settings.consumerLingerMs, signal);
    } finally {
      clearInterval(beat);
    }
  }

  const runOptions = { eachBatchAutoResolve: false, partitionsConsumedConcurrently: partitions, eachBatch: handleBatch };
  try {
    await consumer.connect();
    // A new group starts at the beginning: requests queued before any consumer ran count.
    await whileTopicSettles(() => consumer.subscribe({ topics: [settings.topic], fromBeginning: true }));
    await consumer.run(runOptions);
  } catch (err) {
    await consumer.disconnect().catch(() => undefined);
    await publisher.disconnect().catch(() => undefined);
    throw err;
  }
  log.info({ topic: settings.topic, groupId: settings.groupId, partitions }, 'kafka consumer started');

  return {
    async stop() {
      stopping.abort();
      clearTimeout(restartTimer);
      // Waits for batches in flight (they finish their write, then commit), then leaves.
      await consumer.disconnect();
      await publisher.disconnect();
      log.info('kafka consumer stopped');
    },
  };
}
