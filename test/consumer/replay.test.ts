/**
 * The transport-free replay against the real MariaDB, fed by an in-memory source: what
 * each kind of dead letter becomes (stored, refused past the stock, poison, another
 * coupon), the counts printed, and the users' DEAD_LETTERED marks cleared.
 */
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { replayDeadLetters, type DeadLetterSource, type Disposition } from '../../src/consumer/replay.js';
import type { RawMessage } from '../../src/consumer/writer-task.js';
import { encodeIssueRequest } from '../../src/queue/message.js';
import { recordDeadLetters } from '../../src/store/dead-letters.js';
import { testConfig } from '../helpers/env.js';
import { captureLog } from '../helpers/log.js';
import { admitted, scratchCoupons } from './helpers.js';

/** One chunk of `values`; records what the replay decided for each. */
function memorySource(values: RawMessage[]): DeadLetterSource & { decided: Disposition[][] } {
  const decided: Disposition[][] = [];
  return {
    decided,
    issued: undefined,
    close: async () => undefined,
    async run(handle) {
      decided.push(await handle(values));
    },
  };
}

t.test('stored, refused, poison and other coupons: each settled or kept as it should be', async (t) => {
  const { pool, coupon } = await scratchCoupons(testConfig(), t.teardown);
  const couponId = await coupon(2);
  const otherId = await coupon(5);
  const [first, second, third] = admitted(couponId, 3);
  const [other] = admitted(otherId, 1);
  const requests = [first, second, third, other].map((request) => request!);
  await recordDeadLetters(pool, requests.map((request) => ({ request, reason: 'WRITE_FAILED', error: 'INSERT command denied' })));
  const values = [encodeIssueRequest(first!), encodeIssueRequest(second!), encodeIssueRequest(third!), '{"not":"a request"}', encodeIssueRequest(other!)];
  const settings = { couponId, chunkRows: 500, attempts: 2, baseMs: 10, signal: new AbortController().signal, log: captureLog().log };

  const source = memorySource(values);
  const report = await replayDeadLetters(source, pool, settings);
  t.same(source.decided, [['done', 'done', 'done', 'skipped', 'skipped']], 'the third is refused past the stock: settled too');
  // Poison names no coupon: with --coupon it is another coupon's business.
  t.same(report, { read: 5, stored: 2, duplicates: 0, rejected: 1, failed: 0, skipped: 2, errors: [], interrupted: false });
  const [marks] = await pool.query<RowDataPacket[]>('SELECT coupon_id FROM issue_dead_letter WHERE coupon_id IN (?) ORDER BY coupon_id', [[couponId, otherId]]);
  t.same(marks.map((row) => Number(row.coupon_id)), [otherId], "the replayed coupon's marks are cleared, the skipped one's kept");

  const again = await replayDeadLetters(memorySource(values), pool, settings);
  t.match(again, { read: 5, stored: 0, duplicates: 2, rejected: 1 }, 'a second replay stores nothing new');

  const everything = await replayDeadLetters(memorySource(values), pool, { ...settings, couponId: undefined });
  t.match(everything, { stored: 1, duplicates: 2, rejected: 1, failed: 1, skipped: 0, errors: ['not an issue request (undecodable)'] }, 'without --coupon the other coupon is stored too; poison fails');
});

t.test('stopped before a chunk: nothing settled, reported as interrupted', async (t) => {
  const { pool, coupon } = await scratchCoupons(testConfig(), t.teardown);
  const couponId = await coupon(2);
  const controller = new AbortController();
  controller.abort();
  const source = memorySource(admitted(couponId, 2).map(encodeIssueRequest));
  const report = await replayDeadLetters(source, pool, { couponId: undefined, chunkRows: 500, attempts: 2, baseMs: 10, signal: controller.signal, log: captureLog().log });
  t.same(source.decided, [['left', 'left']]);
  t.equal(report.stored, 0);
});
