/**
 * Reading the dead-letter topic for `flash-coupon dlq replay`, with a consumer group of its
 * own (`<KAFKA_GROUP_ID>.dlq-replay`, or `...dlq-replay.coupon-<N>` with --coupon, so a
 * replay of one coupon never moves the full replay's offsets past other coupons' letters).
 * Stops at the end offsets read at start; commits after storing, and never past the first
 * letter that still fails, so that one (and what follows) is read again next time.
 */
import type { Config } from '../../config/index.js';
import type { DeadLetterSource } from '../../consumer/replay.js';
import type { RawMessage } from '../../consumer/writer-task.js';
import type { Logger } from '../../logger.js';
import { createKafka, ensureTopics, whileTopicSettles } from './client.js';
import { connectKafkaPublisher } from './publisher.js';

/** Letters handed to the replay at once (a fetch can hold many more). */
const CHUNK = 1000;
const HEARTBEAT_EVERY_MS = 1_000;

export function replayGroupId(settings: Config['kafka'], couponId: number | undefined): string {
  return `${settings.groupId}.dlq-replay${couponId === undefined ? '' : `.coupon-${couponId}`}`;
}

/** Where each partition's replay starts (committed, else the oldest kept) and ends (exclusive). */
interface Span {
  next: bigint;
  end: bigint;
}

export async function openKafkaDeadLetters(config: Config, log: Logger, couponId: number | undefined): Promise<DeadLetterSource> {
  const settings = config.kafka;
  const topic = settings.dlqTopic;
  const groupId = replayGroupId(settings, couponId);
  const kafka = createKafka(settings, log, '-dlq-replay');
  const admin = kafka.admin();
  await admin.connect();
  const spans = new Map<number, Span>();
  try {
    await ensureTopics(admin, settings);
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    for (const partition of ends) {
      const from = done.get(partition.partition) ?? -1n;
      const next = from >= BigInt(partition.low) ? from : BigInt(partition.low);
      const end = BigInt(partition.high);
      if (next < end) spans.set(partition.partition, { next, end });
    }
  } finally {
    await admin.disconnect();
  }
  const publisher = settings.issuedTopic === undefined ? undefined : await connectKafkaPublisher(kafka, settings);

  return {
    issued: publisher?.issued,
    async close() {
      await publisher?.disconnect();
    },
    async run(handle) {
      if (spans.size === 0) return;
      const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
      let finish!: (err?: Error) => void;
      const finished = new Promise<void>((resolve, reject) => {
        finish = (err) => (err === undefined ? resolve() : reject(err));
      });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assigned = new Set(payload.memberAssignment[topic] ?? []);
        const missing = [...spans.keys()].filter((partition) => !assigned.has(partition));
        if (missing.length > 0) finish(new Error(`another replay of group ${groupId} holds partitions ${missing.join(',')} of ${topic}; run one at a time`));
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) finish(payload.error);
      });
      /** Partitions where a letter was left unsettled: no commit past it in this run. */
      const pinned = new Set<number>();
      await consumer.connect();
      try {
        await whileTopicSettles(() => consumer.subscribe({ topics: [topic], fromBeginning: true }));
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const span = spans.get(batch.partition);
            if (span === undefined) return;
            const messages = batch.messages.filter((message) => BigInt(message.offset) >= span.next && BigInt(message.offset) < span.end);
            // A replay waiting out a read-only or locked MySQL keeps its membership.
            const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
            try {
              for (let start = 0; start < messages.length; start += CHUNK) {
                const part = messages.slice(start, start + CHUNK);
                const dispositions = await handle(part.map((message): RawMessage => message.value));
                // Skipped letters may be passed: this group replays one coupon (or all of them).
                const firstLeft = pinned.has(batch.partition) ? -1 : dispositions.indexOf('left');
                if (firstLeft >= 0) pinned.add(batch.partition);
                if (!pinned.has(batch.partition) || firstLeft >= 0) {
                  const commitAt = firstLeft >= 0 ? BigInt((part[firstLeft] as (typeof part)[number]).offset) : BigInt((part[part.length - 1] as (typeof part)[number]).offset) + 1n;
                  await consumer.commitOffsets([{ topic, partition: batch.partition, offset: commitAt.toString() }]);
                }
                span.next = BigInt((part[part.length - 1] as (typeof part)[number]).offset) + 1n;
              }
            } catch (err) {
              finish(err instanceof Error ? err : new Error(String(err)));
              return;
            } finally {
              clearInterval(beat);
            }
            // Offsets past the last message (compaction, transaction markers) count as read.
            if (span.next >= span.end || BigInt(batch.lastOffset()) + 1n >= span.end) {
              spans.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (spans.size === 0) finish();
            }
          },
        });
        await finished;
      } finally {
        await consumer.disconnect();
      }
    },
  };
}
