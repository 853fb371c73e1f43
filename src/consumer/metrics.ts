/**
 * Counters of the persistence path, on prom-client's default registry (served by
 * GET /metrics). Created once per process, shared by every consumer in it.
 */
import { Counter } from 'prom-client';

export const dlqMessages = new Counter({
  name: 'flash_coupon_dlq_messages_total',
  help: 'Messages sent to the dead-letter queue, by reason (UNDECODABLE, WRITE_FAILED)',
  labelNames: ['reason'] as const,
});

export const writerMessages = new Counter({
  name: 'flash_coupon_writer_messages_total',
  help: 'Messages settled by the batch writer, by outcome (inserted, duplicate, rejected)',
  labelNames: ['outcome'] as const,
});

export const writerRetries = new Counter({
  name: 'flash_coupon_writer_retries_total',
  help: 'Batches (or parts) written again after a failure',
});

export function countSettled(counts: { inserted: number; duplicates: number; rejected: number }): void {
  if (counts.inserted > 0) writerMessages.inc({ outcome: 'inserted' }, counts.inserted);
  if (counts.duplicates > 0) writerMessages.inc({ outcome: 'duplicate' }, counts.duplicates);
  if (counts.rejected > 0) writerMessages.inc({ outcome: 'rejected' }, counts.rejected);
}
