/**
 * Where a batch's side outputs go once its rows are committed: dead letters (Kafka topic or
 * Redis list, by queue mode) and the optional coupon-issued events. Both must be delivered
 * before the batch is acknowledged, or a crash in between would drop them.
 */
import type { Logger } from '../logger.js';
import type { IssuedRow } from '../store/batch-writer.js';
import type { DeadLetterReason } from './persist.js';
import { backoffMs, pause } from './backoff.js';
import { dlqMessages } from './metrics.js';

export interface DeadLetterRecord {
  /** The original message, unchanged, so it can be replayed once the cause is fixed. */
  value: Buffer | string | null;
  key: Buffer | string | null;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  /** Where the message came from (topic, partition, offset or queue). */
  origin: Record<string, string>;
}

export interface DeadLetterSink {
  send(records: readonly DeadLetterRecord[]): Promise<void>;
}

/** Tells the users concerned that their request was dead-lettered (store/dead-letters.ts). */
export interface DeadLetterMarks {
  /** Best effort: never throws (the dead letter itself is already delivered). */
  record(records: readonly DeadLetterRecord[]): Promise<void>;
}

export interface IssuedSink {
  publish(rows: readonly IssuedRow[]): Promise<void>;
}

/** The JSON of one coupon-issued event (key: couponId). */
export function issuedEvent(row: IssuedRow): string {
  return JSON.stringify({ couponId: row.couponId, userId: row.userId, ticket: row.ticket, issuedAt: new Date(row.issuedAt).toISOString() });
}

/**
 * Tries until delivered; gives up only when aborted (the batch is then not acknowledged and
 * comes back later). Returns whether it was delivered.
 */
export async function deliver(what: string, send: () => Promise<void>, signal: AbortSignal, log: Logger, baseMs: number): Promise<boolean> {
  for (let round = 1; ; round++) {
    try {
      await send();
      return true;
    } catch (err) {
      const delay = backoffMs(baseMs, round);
      log.warn({ err: err instanceof Error ? err.message : String(err), round, delayMs: delay }, `${what} not delivered, retrying`);
      if (!(await pause(delay, signal))) return false;
    }
  }
}

/** Delivers dead letters (counted once delivered) and issued events; false when aborted first. */
export async function deliverOutputs(
  sinks: { deadLetters: DeadLetterSink; issued: IssuedSink | undefined; marks?: DeadLetterMarks | undefined },
  outputs: { deadLetters: readonly DeadLetterRecord[]; issued: readonly IssuedRow[] },
  settings: { signal: AbortSignal; log: Logger; baseMs: number },
): Promise<boolean> {
  const { signal, log, baseMs } = settings;
  if (outputs.deadLetters.length > 0) {
    if (!(await deliver('dead letters', () => sinks.deadLetters.send(outputs.deadLetters), signal, log, baseMs))) return false;
    for (const record of outputs.deadLetters) dlqMessages.inc({ reason: record.reason });
    await sinks.marks?.record(outputs.deadLetters);
    log.error({ count: outputs.deadLetters.length, reasons: [...new Set(outputs.deadLetters.map((r) => r.reason))], err: outputs.deadLetters[0]?.error }, 'messages dead-lettered');
  }
  if (sinks.issued !== undefined && outputs.issued.length > 0) {
    const issued = sinks.issued;
    if (!(await deliver('issued events', () => issued.publish(outputs.issued), signal, log, baseMs))) return false;
  }
  return true;
}
