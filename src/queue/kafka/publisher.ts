/**
 * The consumer side's Kafka producer: dead letters to the DLQ topic and, when configured,
 * coupon-issued events. Kept apart from the front door's micro-batching producer: these
 * sends are per batch, not per request, and must be acknowledged by all replicas.
 */
import kafkajs from 'kafkajs';
import type { Config } from '../../config/index.js';
import { issuedEvent, type DeadLetterRecord, type DeadLetterSink, type IssuedSink } from '../../consumer/sinks.js';
import type { IssuedRow } from '../../store/batch-writer.js';
import type { KafkaClient } from './client.js';

/** Headers of a dead-lettered message; its value and key are the original ones. */
export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  error: 'x-dlq-error',
  attempts: 'x-dlq-attempts',
  /** Prefix: x-dlq-origin-topic, -partition, -offset. */
  origin: 'x-dlq-origin-',
} as const;

/** Messages per send: a whole fetch's worth in one record batch would pass the broker's 1 MB limit. */
const SEND_CHUNK = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += SEND_CHUNK) out.push(items.slice(start, start + SEND_CHUNK));
  return out;
}

function deadLetterMessage(record: DeadLetterRecord): { key: Buffer | string | null; value: Buffer | string | null; headers: Record<string, string> } {
  const origin = Object.entries(record.origin).map(([name, value]) => [`${DLQ_HEADERS.origin}${name}`, value]);
  return {
    key: record.key,
    value: record.value,
    headers: {
      [DLQ_HEADERS.reason]: record.reason,
      [DLQ_HEADERS.error]: record.error,
      [DLQ_HEADERS.attempts]: String(record.attempts),
      ...Object.fromEntries(origin),
    },
  };
}

export interface KafkaPublisher {
  deadLetters: DeadLetterSink;
  /** Undefined when no issued topic is configured. */
  issued: IssuedSink | undefined;
  disconnect(): Promise<void>;
}

export async function connectKafkaPublisher(kafka: KafkaClient, settings: Config['kafka']): Promise<KafkaPublisher> {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const deadLetters: DeadLetterSink = {
    async send(records) {
      for (const part of chunks(records)) {
        await producer.send({ topic: settings.dlqTopic, acks: -1, messages: part.map(deadLetterMessage) });
      }
    },
  };
  const issuedTopic = settings.issuedTopic;
  const issued: IssuedSink | undefined =
    issuedTopic === undefined
      ? undefined
      : {
          async publish(rows: readonly IssuedRow[]) {
            for (const part of chunks(rows)) {
              const messages = part.map((row) => ({ key: String(row.couponId), value: issuedEvent(row) }));
              await producer.send({ topic: issuedTopic, acks: -1, messages });
            }
          },
        };
  return { deadLetters, issued, disconnect: () => producer.disconnect() };
}
