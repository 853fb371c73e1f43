/**
 * The retry policy of persistBatch against a scripted WriterPool (no threads, no MySQL):
 * which messages are written again, when tries are spent, when a message is dead-lettered,
 * and giving up on abort.
 */
import t from 'tap';
import type { WriterPool } from '../../src/consumer/writer-pool.js';
import type { RawMessage, TaskResult } from '../../src/consumer/writer-task.js';
import { persistBatch, type PersistSettings } from '../../src/consumer/persist.js';
import type { WriteFailure } from '../../src/store/batch-writer.js';
import type { FailureKind } from '../../src/store/unavailable.js';
import { captureLog, LEVEL } from '../helpers/log.js';

/** What one call of the fake writer does with the values it gets: a result, or a throw. */
type Step = (values: readonly RawMessage[]) => Partial<TaskResult> | Error;

/** Runs `steps` in turn (the last one repeats) and records the values of every call. */
function scriptedWriter(...steps: Step[]): WriterPool & { calls: RawMessage[][] } {
  const calls: RawMessage[][] = [];
  return {
    calls,
    async write(values) {
      calls.push([...values]);
      const step = steps[Math.min(calls.length, steps.length) - 1] as Step;
      const outcome = step(values);
      if (outcome instanceof Error) throw outcome;
      return { inserted: 0, duplicates: 0, rejected: 0, failures: [], issued: [], transactionSeconds: [], undecodable: [], ...outcome };
    },
    destroy: async () => undefined,
  };
}

const allInserted: Step = (values) => ({ inserted: values.length });

/** Every value of the task fails in one transaction. */
/** true: the database is away (ECONNREFUSED); false: a statement failed (a try is spent). */
function allFail(kind: boolean | FailureKind, message = 'Duplicate column'): Step {
  return (values) => ({ failures: [failure(values.map((_, i) => i), kind, message)] });
}

const CODES: Record<FailureKind, string> = { unavailable: 'ECONNREFUSED', passing: 'ER_LOCK_DEADLOCK', failed: 'ER_DUP_FIELDNAME' };

function failure(indices: number[], kind: boolean | FailureKind, message = 'Duplicate column'): WriteFailure {
  const resolved: FailureKind = kind === true ? 'unavailable' : kind === false ? 'failed' : kind;
  return { indices, message, code: CODES[resolved], kind: resolved };
}

function settings(overrides: Partial<PersistSettings> = {}): PersistSettings {
  return { attempts: 3, baseMs: 1, collectIssued: false, signal: new AbortController().signal, log: captureLog().log, ...overrides };
}

const batch = ['m0', 'm1', 'm2', 'm3'];

t.test('a batch stored at once is written in one call and counted', async (t) => {
  const writer = scriptedWriter((values) => ({ inserted: 2, duplicates: 1, rejected: values.length - 3 }));
  const outcome = await persistBatch(writer, batch, settings());
  t.same(outcome?.counts, { inserted: 2, duplicates: 1, rejected: 1, deadLettered: 0 });
  t.same(outcome?.deadLetters, []);
  t.same(writer.calls, [batch]);
});

t.test('only the failed messages are written again, their places mapped back to the batch', async (t) => {
  const writer = scriptedWriter(
    () => ({ inserted: 2, failures: [failure([1, 3], false)] }),
    // The retry task holds m1 and m3: task index 1 is batch index 3.
    () => ({ inserted: 1, failures: [failure([1], false)] }),
    () => ({ inserted: 1 }),
  );
  const { log, lines } = captureLog();
  const outcome = await persistBatch(writer, batch, settings({ log }));
  t.same(writer.calls, [batch, ['m1', 'm3'], ['m3']]);
  t.same(outcome?.counts, { inserted: 4, duplicates: 0, rejected: 0, deadLettered: 0 });
  const retries = lines.filter((line) => line.msg === 'batch not stored, retrying');
  t.same(retries.map((line) => [line.level, line.round, line.retrying, line.triesSpent]), [
    [LEVEL.warn, 1, 2, true],
    [LEVEL.warn, 2, 1, true],
  ]);
});

t.test('messages written again keep their order in the batch', async (t) => {
  // Two transactions (coupons) failed; the writer reports the later messages first.
  const writer = scriptedWriter(() => ({ failures: [failure([3], false), failure([0, 2], false)] }), allInserted);
  await persistBatch(writer, batch, settings());
  t.same(writer.calls[1], ['m0', 'm2', 'm3']);
});

t.test('a message still failing after `attempts` tries is dead-lettered with its batch index', async (t) => {
  const writer = scriptedWriter(() => ({ inserted: 3, failures: [failure([2], false, 'INSERT command denied')] }), allFail(false, 'INSERT command denied'));
  const outcome = await persistBatch(writer, batch, settings({ attempts: 3 }));
  t.equal(writer.calls.length, 3, 'three tries in all');
  t.same(outcome?.deadLetters, [{ index: 2, reason: 'WRITE_FAILED', error: 'INSERT command denied', attempts: 3 }]);
  t.same(outcome?.counts, { inserted: 3, duplicates: 0, rejected: 0, deadLettered: 1 });
});

t.test('a database that cannot be reached spends no tries: the batch waits and is stored', async (t) => {
  const writer = scriptedWriter(allFail(true), allFail(true), allFail(true), allFail(true), allInserted);
  const { log, lines } = captureLog();
  const outcome = await persistBatch(writer, batch, settings({ attempts: 2, log }));
  t.equal(writer.calls.length, 5, 'four outages outlast attempts=2, nothing dead-lettered');
  t.same(outcome?.deadLetters, []);
  t.equal(outcome?.counts.inserted, 4);
  const retries = lines.filter((line) => line.msg === 'batch not stored, retrying');
  t.ok(retries.every((line) => line.kind === 'unavailable' && line.triesSpent === false), 'the retries say the database is away and spent no try');
});

t.test('a passing refusal (read-only, lock wait, deadlock, killed query) spends no tries either', async (t) => {
  const writer = scriptedWriter(allFail('passing', 'Lock wait timeout'), allFail('passing'), allFail('passing'), allInserted);
  const { log, lines } = captureLog();
  const outcome = await persistBatch(writer, batch, settings({ attempts: 1, log }));
  t.equal(writer.calls.length, 4, 'three refusals outlast attempts=1, nothing dead-lettered');
  t.same(outcome?.deadLetters, []);
  t.equal(outcome?.counts.inserted, 4);
  t.ok(lines.filter((line) => line.msg === 'batch not stored, retrying').every((line) => line.kind === 'passing' && line.triesSpent === false));
});

t.test('tries spent on real failures are kept across an outage', async (t) => {
  // Fails, the database goes away twice, fails again: attempts=2 is reached on the 4th call.
  const writer = scriptedWriter(allFail(false), allFail(true), allFail(true), allFail(false), allInserted);
  const outcome = await persistBatch(writer, ['m0'], settings({ attempts: 2 }));
  t.equal(writer.calls.length, 4);
  t.same(outcome?.deadLetters, [{ index: 0, reason: 'WRITE_FAILED', error: 'Duplicate column', attempts: 2 }]);
});

t.test('a writer that throws counts as one try for every message of the task', async (t) => {
  const writer = scriptedWriter(() => new Error('worker thread exited'));
  const outcome = await persistBatch(writer, ['m0', 'm1'], settings({ attempts: 2 }));
  t.same(writer.calls, [
    ['m0', 'm1'],
    ['m0', 'm1'],
  ]);
  t.same(outcome?.deadLetters, [
    { index: 0, reason: 'WRITE_FAILED', error: 'worker thread exited', attempts: 2 },
    { index: 1, reason: 'WRITE_FAILED', error: 'worker thread exited', attempts: 2 },
  ]);
});

t.test('a thrown task is redone whole, then stored', async (t) => {
  const writer = scriptedWriter(() => new Error('worker thread exited'), allInserted);
  const outcome = await persistBatch(writer, batch, settings());
  t.same(writer.calls, [batch, batch]);
  t.same(outcome?.counts, { inserted: 4, duplicates: 0, rejected: 0, deadLettered: 0 });
});

t.test('undecodable messages are dead-lettered at once, by batch index, and not retried', async (t) => {
  const writer = scriptedWriter(
    () => ({ inserted: 2, failures: [failure([0, 2], false)] }),
    // Retry task [m0, m2]: m2 (task index 1) now turns out undecodable.
    () => ({ inserted: 1, undecodable: [{ index: 1, reason: 'bad ticket' }] }),
  );
  const outcome = await persistBatch(writer, batch, settings());
  t.equal(writer.calls.length, 2);
  t.same(outcome?.deadLetters, [{ index: 2, reason: 'UNDECODABLE', error: 'bad ticket', attempts: 1 }]);
  t.equal(outcome?.counts.deadLettered, 1);
});

t.test('issued rows are collected from every call', async (t) => {
  const row = (userId: string) => ({ couponId: 1, userId, ticket: 1, issuedAt: 0 });
  const writer = scriptedWriter(() => ({ inserted: 1, issued: [row('a')], failures: [failure([1], false)] }), () => ({ inserted: 1, issued: [row('b')] }));
  const outcome = await persistBatch(writer, ['m0', 'm1'], settings({ collectIssued: true }));
  t.same(outcome?.issued.map((r) => r.userId), ['a', 'b']);
});

t.test('aborted while waiting to retry: undefined (the caller must not acknowledge)', async (t) => {
  const controller = new AbortController();
  const writer = scriptedWriter(() => {
    controller.abort();
    return { failures: [failure([0], true)] };
  });
  const outcome = await persistBatch(writer, ['m0'], settings({ signal: controller.signal, baseMs: 60_000 }));
  t.equal(outcome, undefined);
  t.equal(writer.calls.length, 1, 'no try after the abort');
});

t.test('aborted during a long backoff: gives up without waiting it out', async (t) => {
  const controller = new AbortController();
  const writer = scriptedWriter(allFail(true));
  const started = Date.now();
  const persisting = persistBatch(writer, ['m0'], settings({ signal: controller.signal, baseMs: 60_000 }));
  setTimeout(() => controller.abort(), 20);
  t.equal(await persisting, undefined);
  t.ok(Date.now() - started < 5_000, 'returned soon after the abort');
});
