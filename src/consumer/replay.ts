/**
 * Replaying dead letters, transport-free: a source (queue/kafka/dead-letters.ts or
 * queue/redis-list/dead-letters.ts) hands chunks of dead-lettered values, read up to the
 * end it saw at start; each chunk is stored through the consumer's own pipeline
 * (persistBatch -> writer task -> store/batch-writer), in this process rather than on
 * writer threads. The source moves past the entries settled here only, so what is
 * skipped or still fails stays dead-lettered for a later replay. Idempotent like every
 * write: a request already stored counts as a duplicate.
 */
import type { Logger } from '../logger.js';
import { decodeIssueRequest, UndecodableMessage, type IssueRequest } from '../queue/message.js';
import { clearDeadLetters, recordDeadLetters } from '../store/dead-letters.js';
import type { Pool } from '../store/mysql.js';
import { persistBatch } from './persist.js';
import { deliver, type IssuedSink } from './sinks.js';
import type { WriterPool } from './writer-pool.js';
import { packTask, runWriterTask, type RawMessage } from './writer-task.js';

/**
 * What became of one dead letter: `done` (stored, found stored, or refused: it leaves the
 * DLQ), `skipped` (another coupon than asked, or poison: kept in the DLQ, but this replay
 * group may move past it), `left` (still fails: stays dead-lettered, read again by the
 * next replay).
 */
export type Disposition = 'done' | 'skipped' | 'left';

export interface DeadLetterSource {
  /**
   * Calls `handle` with each chunk of values in order, up to the end read at start, and
   * moves past each value as its disposition allows (Kafka: the replay group commits up to
   * the first `left` one; Redis: only `done` entries leave the list).
   */
  run(handle: (values: readonly RawMessage[]) => Promise<Disposition[]>): Promise<void>;
  /** Published for each stored row when an issued-events topic is configured. */
  issued: IssuedSink | undefined;
  close(): Promise<void>;
}

export interface ReplayCounts {
  /** Dead letters looked at (up to the end read at start). */
  read: number;
  stored: number;
  /** Already stored (an earlier replay, or stored after all before it was dead-lettered). */
  duplicates: number;
  /** Refused by the database past the stock, or for a coupon it does not know (status REJECTED). */
  rejected: number;
  /** Still not storable (or not decodable): left dead-lettered. */
  failed: number;
  /** Another coupon than --coupon: left dead-lettered. */
  skipped: number;
}

export interface ReplayReport extends ReplayCounts {
  /** Distinct errors of the failed ones (at most ERRORS_SHOWN). */
  errors: string[];
  /** Stopped (SIGINT/SIGTERM) before the end: what is not settled stays dead-lettered. */
  interrupted: boolean;
}

export interface ReplaySettings {
  /** Only this coupon's dead letters; the others stay for a later replay. */
  couponId: number | undefined;
  chunkRows: number;
  attempts: number;
  baseMs: number;
  signal: AbortSignal;
  log: Logger;
}

const ERRORS_SHOWN = 5;

/** The writer task run in this process: the same decode and write as a writer thread. */
function inProcessWriter(pool: Pool, chunkRows: number): WriterPool {
  return {
    write: (values, collectIssued) => runWriterTask(pool, packTask(values, collectIssued), chunkRows),
    destroy: async () => undefined,
  };
}

/** The value's request, undefined when it is not one (poison stays where it is). */
function decoded(value: RawMessage): IssueRequest | undefined {
  try {
    return decodeIssueRequest(value);
  } catch (err) {
    if (err instanceof UndecodableMessage) return undefined;
    throw err;
  }
}

export async function replayDeadLetters(source: DeadLetterSource, pool: Pool, settings: ReplaySettings): Promise<ReplayReport> {
  const report: ReplayReport = { read: 0, stored: 0, duplicates: 0, rejected: 0, failed: 0, skipped: 0, errors: [], interrupted: false };
  const writer = inProcessWriter(pool, settings.chunkRows);
  const noteError = (error: string): void => {
    if (report.errors.length < ERRORS_SHOWN && !report.errors.includes(error)) report.errors.push(error);
  };

  await source.run(async (values) => {
    const dispositions = values.map((): Disposition => 'left');
    if (settings.signal.aborted) return dispositions;
    report.read += values.length;
    const requests = values.map(decoded);
    // Places (in `values`) of the entries this replay stores.
    const chosen: number[] = [];
    requests.forEach((request, index) => {
      if (settings.couponId !== undefined && request?.couponId !== settings.couponId) {
        report.skipped++;
        dispositions[index] = 'skipped';
      } else if (request === undefined) {
        // No replay can ever store poison: it stays in the DLQ for a person to read, and
        // the Kafka replay group moves past it rather than stopping there for good.
        report.failed++;
        noteError('not an issue request (undecodable)');
        dispositions[index] = 'skipped';
      } else chosen.push(index);
    });
    if (chosen.length === 0) return dispositions;

    const outcome = await persistBatch(
      writer,
      chosen.map((index) => values[index]),
      { attempts: settings.attempts, baseMs: settings.baseMs, collectIssued: source.issued !== undefined, signal: settings.signal, log: settings.log },
    );
    if (outcome === undefined) {
      report.interrupted = true;
      return dispositions;
    }
    if (source.issued !== undefined && outcome.issued.length > 0) {
      const issued = source.issued;
      if (!(await deliver('issued events', () => issued.publish(outcome.issued), settings.signal, settings.log, settings.baseMs))) {
        // Rows are stored but their events are not out: left unsettled, the next replay
        // finds them stored and publishes again.
        report.interrupted = true;
        return dispositions;
      }
    }
    report.stored += outcome.counts.inserted;
    report.duplicates += outcome.counts.duplicates;
    report.rejected += outcome.counts.rejected;
    const failedAt = new Map(outcome.deadLetters.map((letter) => [chosen[letter.index] as number, letter]));
    for (const index of chosen) if (!failedAt.has(index)) dispositions[index] = 'done';
    for (const letter of failedAt.values()) {
      report.failed++;
      noteError(letter.error);
    }

    // The users' status: settled ones are no longer dead-lettered; the others say why now.
    const stillFailing = [...failedAt].map(([index, letter]) => ({ request: requests[index] as IssueRequest, reason: letter.reason, error: letter.error }));
    await clearDeadLetters(pool, chosen.filter((index) => dispositions[index] === 'done').map((index) => requests[index] as IssueRequest));
    await recordDeadLetters(pool, stillFailing).catch((err: unknown) => {
      settings.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'dead letters not marked again');
    });
    return dispositions;
  });
  return report;
}
