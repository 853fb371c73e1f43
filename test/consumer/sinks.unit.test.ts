/**
 * Delivering a batch's side outputs with fake sinks: retried until delivered or aborted,
 * dead letters before issued events, and the DLQ metric moving only once they are delivered.
 */
import t from 'tap';
import { dlqMessages } from '../../src/consumer/metrics.js';
import { deliver, deliverOutputs, issuedEvent, type DeadLetterRecord, type DeadLetterSink, type IssuedSink } from '../../src/consumer/sinks.js';
import type { IssuedRow } from '../../src/store/batch-writer.js';
import { captureLog, LEVEL } from '../helpers/log.js';

/** A send that fails its first `failures` calls; records each call by name in `log`. */
function flaky(name: string, failures: number, log: string[]): () => Promise<void> {
  let calls = 0;
  return async () => {
    log.push(name);
    if (++calls <= failures) throw new Error(`${name} refused (${calls})`);
  };
}

function sinks(failures: { deadLetters?: number; issued?: number }, log: string[]): { deadLetters: DeadLetterSink; issued: IssuedSink } {
  const sendDeadLetters = flaky('deadLetters', failures.deadLetters ?? 0, log);
  const publishIssued = flaky('issued', failures.issued ?? 0, log);
  return { deadLetters: { send: () => sendDeadLetters() }, issued: { publish: () => publishIssued() } };
}

async function dlqCount(reason: string): Promise<number> {
  return (await dlqMessages.get()).values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

const letter = (reason: DeadLetterRecord['reason']): DeadLetterRecord => ({ value: 'x', key: null, reason, error: 'e', attempts: 1, origin: {} });
const row: IssuedRow = { couponId: 7, userId: 'u1', ticket: 3, issuedAt: Date.UTC(2026, 0, 2, 3, 4, 5) };
const never = new AbortController().signal;

t.test('deliver retries until the send succeeds, logging each failure', async (t) => {
  const calls: string[] = [];
  const { log, lines } = captureLog();
  t.equal(await deliver('dead letters', flaky('send', 2, calls), never, log, 1), true);
  t.equal(calls.length, 3);
  t.same(
    lines.map((line) => [line.level, line.msg, line.round, line.err]),
    [
      [LEVEL.warn, 'dead letters not delivered, retrying', 1, 'send refused (1)'],
      [LEVEL.warn, 'dead letters not delivered, retrying', 2, 'send refused (2)'],
    ],
  );
});

t.test('deliver gives up when aborted and says it was not delivered', async (t) => {
  const controller = new AbortController();
  const calls: string[] = [];
  const delivering = deliver('issued events', flaky('send', Infinity, calls), controller.signal, captureLog().log, 60_000);
  setTimeout(() => controller.abort(), 20);
  t.equal(await delivering, false);
  t.equal(calls.length, 1, 'no try after the abort');
});

t.test('deliverOutputs sends dead letters first, then issued events, and counts the dead letters by reason', async (t) => {
  const calls: string[] = [];
  const { log, lines } = captureLog();
  const [undecodable, failed] = [await dlqCount('UNDECODABLE'), await dlqCount('WRITE_FAILED')];
  const delivered = await deliverOutputs(
    sinks({ deadLetters: 1 }, calls),
    { deadLetters: [letter('UNDECODABLE'), letter('WRITE_FAILED'), letter('WRITE_FAILED')], issued: [row] },
    { signal: never, log, baseMs: 1 },
  );
  t.equal(delivered, true);
  t.same(calls, ['deadLetters', 'deadLetters', 'issued']);
  t.equal((await dlqCount('UNDECODABLE')) - undecodable, 1);
  t.equal((await dlqCount('WRITE_FAILED')) - failed, 2, 'counted once, not once per try');
  const dead = lines.filter((line) => line.msg === 'messages dead-lettered');
  t.same(
    dead.map((line) => [line.level, line.count, line.reasons]),
    [[LEVEL.error, 3, ['UNDECODABLE', 'WRITE_FAILED']]],
  );
});

t.test('dead letters never delivered (aborted): not counted, issued events not sent, false', async (t) => {
  const controller = new AbortController();
  const calls: string[] = [];
  const before = await dlqCount('WRITE_FAILED');
  const delivering = deliverOutputs(sinks({ deadLetters: Infinity }, calls), { deadLetters: [letter('WRITE_FAILED')], issued: [row] }, { signal: controller.signal, log: captureLog().log, baseMs: 5 });
  setTimeout(() => controller.abort(), 30);
  t.equal(await delivering, false);
  t.notOk(calls.includes('issued'), 'issued events wait for the dead letters');
  t.equal(await dlqCount('WRITE_FAILED'), before);
});

t.test('issued events that cannot be delivered before an abort: false', async (t) => {
  const controller = new AbortController();
  const calls: string[] = [];
  const delivering = deliverOutputs(sinks({ issued: Infinity }, calls), { deadLetters: [], issued: [row] }, { signal: controller.signal, log: captureLog().log, baseMs: 5 });
  setTimeout(() => controller.abort(), 30);
  t.equal(await delivering, false);
  t.equal(calls[0], 'issued', 'no dead letters: nothing sent to their sink');
});

t.test('no issued sink: issued rows are skipped; nothing to send: no call at all', async (t) => {
  const calls: string[] = [];
  const { deadLetters } = sinks({}, calls);
  t.equal(await deliverOutputs({ deadLetters, issued: undefined }, { deadLetters: [], issued: [row] }, { signal: never, log: captureLog().log, baseMs: 1 }), true);
  t.equal(await deliverOutputs(sinks({}, calls), { deadLetters: [], issued: [] }, { signal: never, log: captureLog().log, baseMs: 1 }), true);
  t.same(calls, []);
});

t.test('an issued event is the row as JSON with an ISO date', async (t) => {
  t.same(JSON.parse(issuedEvent(row)), { couponId: 7, userId: 'u1', ticket: 3, issuedAt: '2026-01-02T03:04:05.000Z' });
});
