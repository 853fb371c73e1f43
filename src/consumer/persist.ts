/**
 * Stores one batch through the writer threads until every message is either stored
 * (inserted, duplicate or rejected) or dead-lettered. The policy:
 *
 * - an undecodable message is dead-lettered at once;
 * - a failed transaction, or a writer thread that died, is retried with exponential
 *   backoff; a message still failing after `attempts` tries is dead-lettered;
 * - a database that cannot be reached, or that refuses for a while (read-only during a
 *   failover, a lock wait, a deadlock, a killed query: store/unavailable.ts), does NOT use
 *   up tries: no message is at fault, and dead-lettering would turn a MySQL outage into a
 *   flood of lost requests. The batch waits (backoff capped) until the database takes it
 *   or the consumer stops.
 *
 * Redoing a batch is safe because the writer is idempotent.
 */
import type { Logger } from '../logger.js';
import { emptyCounts, type BatchCounts, type IssuedRow, type WriteFailure } from '../store/batch-writer.js';
import type { WriterPool } from './writer-pool.js';
import type { RawMessage } from './writer-task.js';
import { backoffMs, pause } from './backoff.js';
import { writerBatchMessages, writerRetries, writerTransactionSeconds } from './metrics.js';

export type DeadLetterReason = 'UNDECODABLE' | 'WRITE_FAILED';

export interface DeadLetter {
  /** Index into the batch. */
  index: number;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
}

export interface PersistOutcome {
  counts: BatchCounts & { deadLettered: number };
  deadLetters: DeadLetter[];
  issued: IssuedRow[];
}

export interface PersistSettings {
  attempts: number;
  baseMs: number;
  collectIssued: boolean;
  /** Aborting gives up between tries (never inside a running transaction). */
  signal: AbortSignal;
  log: Logger;
}

/** Undefined when aborted before every message was settled: the caller must not ack. */
export async function persistBatch(writer: WriterPool, values: readonly RawMessage[], settings: PersistSettings): Promise<PersistOutcome | undefined> {
  const outcome: PersistOutcome = { counts: { ...emptyCounts(), deadLettered: 0 }, deadLetters: [], issued: [] };
  writerBatchMessages.observe(values.length);
  const tries = new Uint32Array(values.length);
  let pending = values.map((_, index) => index);
  for (let round = 1; ; round++) {
    const failures = await writeOnce(writer, values, pending, settings.collectIssued, outcome);
    pending = [];
    for (const failure of failures) {
      for (const index of failure.indices) {
        if (failure.kind === 'failed') tries[index] = (tries[index] as number) + 1;
        if ((tries[index] as number) < settings.attempts) pending.push(index);
        else outcome.deadLetters.push({ index, reason: 'WRITE_FAILED', error: failure.message, attempts: tries[index] as number });
      }
    }
    outcome.counts.deadLettered = outcome.deadLetters.length;
    if (pending.length === 0) return outcome;
    pending.sort((a, b) => a - b);

    writerRetries.inc();
    const delay = backoffMs(settings.baseMs, round);
    const first = failures[0] as WriteFailure;
    settings.log.warn(
      { err: first.message, code: first.code, kind: first.kind, triesSpent: failures.some((f) => f.kind === 'failed'), retrying: pending.length, round, delayMs: delay },
      'batch not stored, retrying',
    );
    if (!(await pause(delay, settings.signal))) return undefined;
  }
}

/** One trip to a writer thread for the `pending` messages; returns failures in batch indexes. */
async function writeOnce(
  writer: WriterPool,
  values: readonly RawMessage[],
  pending: number[],
  collectIssued: boolean,
  outcome: PersistOutcome,
): Promise<WriteFailure[]> {
  const toBatchIndex = (taskIndex: number): number => pending[taskIndex] as number;
  try {
    const result = await writer.write(
      pending.map((index) => values[index]),
      collectIssued,
    );
    outcome.counts.inserted += result.inserted;
    outcome.counts.duplicates += result.duplicates;
    outcome.counts.rejected += result.rejected;
    for (const letter of result.undecodable) {
      outcome.deadLetters.push({ index: toBatchIndex(letter.index), reason: 'UNDECODABLE', error: letter.reason, attempts: 1 });
    }
    for (const row of result.issued) outcome.issued.push(row);
    // Timed in the writer thread, observed here: the thread's registry is not the one served.
    for (const seconds of result.transactionSeconds) writerTransactionSeconds.observe(seconds);
    return result.failures.map((failure) => ({ ...failure, indices: failure.indices.map(toBatchIndex) }));
  } catch (err) {
    // The writer thread died or threw: nothing of this task is known to be stored, so the
    // whole task is redone (idempotent), and it counts as a try.
    return [{ indices: pending, message: err instanceof Error ? err.message : String(err), code: undefined, kind: 'failed' }];
  }
}
