/** The status queries on the real MariaDB: what a user asking about a request sees. */
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { findIssue, listUserCoupons, storedUserIds } from '../../src/store/issues.js';
import { writeBatch } from '../../src/store/batch-writer.js';
import { clearDeadLetters, recordDeadLetters } from '../../src/store/dead-letters.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { scratchCoupons } from '../consumer/helpers.js';

const { pool, coupon } = await scratchCoupons(testConfig(), (fn) => t.teardown(fn));

async function store(couponId: number, userId: string, ticket: number): Promise<void> {
  await writeBatch(pool, [{ couponId, userId, ticket, admittedAt: Date.now(), index: 0 }], { chunkRows: 10, collectIssued: false });
}

t.test('findIssue: ISSUED with ticket and time, REJECTED with reason, undefined when nothing is stored', async (t) => {
  const couponId = await coupon(1);
  const [winner, late, absent] = [uniqueName('w'), uniqueName('l'), uniqueName('a')];
  const before = Date.now();
  await store(couponId, winner, 1);
  await store(couponId, late, 2);

  const issued = await findIssue(pool, couponId, winner);
  t.match(issued, { status: 'ISSUED', ticket: 1 });
  t.ok(issued?.status === 'ISSUED' && issued.issuedAt instanceof Date && issued.issuedAt.getTime() >= before - 1000, 'issuedAt is the storage time');
  t.same(await findIssue(pool, couponId, late), { status: 'REJECTED', reason: 'SOLD_OUT', ticket: 2 });
  t.equal(await findIssue(pool, couponId, absent), undefined);
  t.equal(await findIssue(pool, couponId + 1_000_000, winner), undefined, 'another coupon says nothing about this one');
});

t.test('findIssue: DEAD_LETTERED while marked, the latest error kept; a stored row wins; cleared by a replay', async (t) => {
  const couponId = await coupon(5);
  const [lost, storedAfterAll] = [uniqueName('d'), uniqueName('s')];
  const request = (userId: string, ticket: number) => ({ couponId, userId, ticket, admittedAt: Date.now() });
  await recordDeadLetters(pool, [{ request: request(lost, 1), reason: 'WRITE_FAILED', error: 'first' }]);
  await recordDeadLetters(pool, [{ request: request(lost, 1), reason: 'WRITE_FAILED', error: 'x'.repeat(600) }]);
  t.match(await findIssue(pool, couponId, lost), { status: 'DEAD_LETTERED', reason: 'WRITE_FAILED', ticket: 1, deadLetteredAt: Date });
  const [[mark]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, MAX(CHAR_LENGTH(error)) AS chars FROM issue_dead_letter WHERE coupon_id = ?', [couponId]);
  t.same([Number(mark?.n), Number(mark?.chars)], [1, 500], 'one row per user, the latest error cut to the column');

  await recordDeadLetters(pool, [{ request: request(storedAfterAll, 2), reason: 'WRITE_FAILED', error: 'e' }]);
  await store(couponId, storedAfterAll, 2);
  t.match(await findIssue(pool, couponId, storedAfterAll), { status: 'ISSUED' }, 'a stored row wins over a stale mark');

  const nobody = uniqueName('n');
  t.same([...(await storedUserIds(pool, couponId, [lost, nobody]))], [lost], 'the reconciler does not free a dead-lettered admission');

  t.equal(await clearDeadLetters(pool, [request(lost, 1), request(storedAfterAll, 2)]), 2);
  t.equal(await findIssue(pool, couponId, lost), undefined, 'no longer dead-lettered');
});

t.test('listUserCoupons: the coupons a user holds with their definition, newest first', async (t) => {
  const [first, second, other] = [await coupon(5), await coupon(5), await coupon(5)];
  await pool.query("UPDATE coupon SET name = 'Ten off', discount_type = 'FIXED', discount_value = 10.5 WHERE id = ?", [second]);
  const user = uniqueName('holder');
  await store(first, user, 3);
  await pool.query('UPDATE user_coupon SET issued_at = issued_at - INTERVAL 1 MINUTE WHERE coupon_id = ? AND user_id = ?', [first, user]);
  await store(second, user, 1);
  await store(other, uniqueName('someone-else'), 1);

  const held = await listUserCoupons(pool, user);
  t.same(
    held.map((entry) => ({ couponId: entry.couponId, name: entry.name, discountType: entry.discountType, discountValue: entry.discountValue, ticket: entry.ticket })),
    [
      { couponId: second, name: 'Ten off', discountType: 'FIXED', discountValue: 10.5, ticket: 1 },
      { couponId: first, name: 'persistence test', discountType: 'PERCENT', discountValue: 10, ticket: 3 },
    ],
  );
  t.ok(held.every((entry) => entry.issuedAt instanceof Date));
  t.same(await listUserCoupons(pool, uniqueName('nobody')), []);
});
