/**
 * The consumer's DeadLetterMarks: one issue_dead_letter row per dead-lettered request that
 * can be decoded, so GET .../issue/:userId answers DEAD_LETTERED instead of PENDING.
 * Best effort: when MySQL itself is what failed, the mark may fail too; the dead letter is
 * already delivered and counted, so that is logged, not retried.
 */
import type { Logger } from '../logger.js';
import { decodeIssueRequest, UndecodableMessage } from '../queue/message.js';
import { recordDeadLetters, type DeadLetterMark } from '../store/dead-letters.js';
import type { Pool } from '../store/mysql.js';
import type { DeadLetterMarks, DeadLetterRecord } from './sinks.js';

export function markableRequests(records: readonly DeadLetterRecord[]): DeadLetterMark[] {
  const marks: DeadLetterMark[] = [];
  for (const record of records) {
    try {
      marks.push({ request: decodeIssueRequest(record.value), reason: record.reason, error: record.error });
    } catch (err) {
      // Poison has no user to tell.
      if (!(err instanceof UndecodableMessage)) throw err;
    }
  }
  return marks;
}

export function createDeadLetterMarks(pool: Pool, log: Logger): DeadLetterMarks {
  return {
    async record(records) {
      const marks = markableRequests(records);
      if (marks.length === 0) return;
      try {
        await recordDeadLetters(pool, marks);
      } catch (err) {
        log.warn({ err: err instanceof Error ? err.message : String(err), requests: marks.length }, 'dead letters not marked: their status stays PENDING until replayed');
      }
    },
  };
}
