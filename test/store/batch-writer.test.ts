/**
 * The batch writer on the real MariaDB, without threads or queues: stock, duplicates,
 * replays, refusals and what it reports.
 */
import t from 'tap';
import fc from 'fast-check';
import { writeBatch } from '../../src/store/batch-writer.js';
import { packTask, runWriterTask, type TaskResult } from '../../src/consumer/writer-task.js';
import { encodeIssueRequest, type IssueRequest } from '../../src/queue/message.js';
import { createPool } from '../../src/store/mysql.js';
import { testConfig } from '../helpers/env.js';
import { admitted, couponState, scratchCoupons, storedAndRefused, storedUsers } from '../consumer/helpers.js';

const config = testConfig();
const { pool, coupon } = await scratchCoupons(config, (fn) => t.teardown(fn));

const encode = (requests: IssueRequest[]): string[] => requests.map(encodeIssueRequest);
/** As a writer thread runs a task: decode, then writeBatch. */
const write = (messages: (string | Buffer | null)[], chunkRows = 7, collectIssued = false): Promise<TaskResult> =>
  runWriterTask(pool, packTask(messages, collectIssued), chunkRows);

t.test('stores each admitted request once, in small fixed chunks, and counts issued_quantity', async (t) => {
  const couponId = await coupon(100);
  const result = await write(encode(admitted(couponId, 60)));
  t.match(result, { inserted: 60, duplicates: 0, rejected: 0, undecodable: [], failures: [] });
  t.same(await couponState(pool, couponId), { rows: 60, distinctUsers: 60, issuedQuantity: 60, rejections: {} });
});

t.test('a replayed batch inserts nothing and reports duplicates', async (t) => {
  const couponId = await coupon(50);
  const messages = encode(admitted(couponId, 50));
  await write(messages);
  const state = await couponState(pool, couponId);
  const replay = await write(messages);
  t.match(replay, { inserted: 0, duplicates: 50, rejected: 0 });
  t.same(await couponState(pool, couponId), state);
});

t.test('over stock: the earliest tickets win, the rest are refused SOLD_OUT; replays of both change nothing', async (t) => {
  const couponId = await coupon(500);
  const requests = admitted(couponId, 600);
  // Out of order within the batch: tickets decide, not positions.
  const shuffled = [...requests].reverse();
  const result = await write(encode(shuffled), 64);
  t.match(result, { inserted: 500, duplicates: 0, rejected: 100 });
  t.same(await couponState(pool, couponId), { rows: 500, distinctUsers: 500, issuedQuantity: 500, rejections: { SOLD_OUT: 100 } });
  t.same(await storedUsers(pool, couponId), requests.slice(0, 500).map((r) => r.userId).sort());

  const replay = await write(encode(requests), 64);
  t.match(replay, { inserted: 0, duplicates: 500, rejected: 100 }, 'stored users are duplicates, refused ones refused again');
  t.same(await couponState(pool, couponId), { rows: 500, distinctUsers: 500, issuedQuantity: 500, rejections: { SOLD_OUT: 100 } });
});

t.test('a user already holding the coupon is a duplicate, not a refusal, even when sold out', async (t) => {
  const couponId = await coupon(3);
  await write(encode(admitted(couponId, 3)));
  // A second admission of user 1 (gate data lost), and a newcomer.
  const again = [{ couponId, userId: `u${couponId}-1`, ticket: 9, admittedAt: Date.now() }, ...admitted(couponId, 1, { firstTicket: 10 })];
  t.match(await write(encode(again)), { inserted: 0, duplicates: 1, rejected: 1 });
  t.equal(await storedAndRefused(pool, couponId), 0);
});

t.test('the same user twice in one batch gets one row (lowest ticket)', async (t) => {
  const couponId = await coupon(10);
  const twice = [
    { couponId, userId: 'same-user', ticket: 5, admittedAt: 0 },
    { couponId, userId: 'same-user', ticket: 2, admittedAt: 0 },
  ];
  t.match(await write(encode(twice), 10, true), { inserted: 1, duplicates: 1, issued: [{ couponId, userId: 'same-user', ticket: 2 }] });
});

t.test('undecodable messages are reported for the dead-letter queue; the rest is stored', async (t) => {
  const couponId = await coupon(10);
  const good = encode(admitted(couponId, 2));
  const result = await write([good[0] as string, 'not json', null, Buffer.from('{"c":1}'), good[1] as string]);
  t.same(result.undecodable.map((letter) => letter.index), [1, 2, 3]);
  t.match(result, { inserted: 2 });
});

t.test('requests for a coupon that is not in the database are refused COUPON_NOT_FOUND', async (t) => {
  const couponId = await coupon(1);
  await pool.query('DELETE FROM coupon WHERE id = ?', [couponId]);
  t.match(await write(encode(admitted(couponId, 2))), { inserted: 0, rejected: 2 });
  t.same((await couponState(pool, couponId)).rejections, { COUPON_NOT_FOUND: 2 });
});

t.test('issued rows are reported when asked: new rows, and replayed rows with the same ticket', async (t) => {
  const couponId = await coupon(10);
  const requests = admitted(couponId, 4);
  const first = await write(encode(requests.slice(0, 2)), 10, true);
  t.same(first.issued.map((row) => row.userId), requests.slice(0, 2).map((r) => r.userId));
  t.ok(first.issued.every((row) => row.issuedAt > 0 && row.couponId === couponId));
  // A replay mixed with new rows (a crash after commit, before the events were sent).
  const replay = await write(encode(requests), 10, true);
  t.same(replay.issued.map((row) => row.userId).sort(), requests.map((r) => r.userId).sort());
  t.same(replay.issued.find((row) => row.userId === requests[0]?.userId)?.issuedAt, first.issued[0]?.issuedAt, 'a replayed row keeps its stored issuedAt');
  const imposter = [{ couponId, userId: requests[0]?.userId as string, ticket: 99, admittedAt: 0 }];
  t.same((await write(encode(imposter), 10, true)).issued, [], 'no event for a duplicate with another ticket');
});

t.test('a database that cannot be reached is reported as unavailable, not as a bad message', async (t) => {
  // Port 9 (discard) on localhost refuses connections: a real unreachable server.
  const unreachable = createPool({ ...config.mysql, url: 'mysql://root@127.0.0.1:9/flash_coupon' }, 1);
  t.teardown(() => unreachable.end());
  const requests = admitted(1, 3).map((request, index) => ({ ...request, index }));
  const result = await writeBatch(unreachable, requests, { chunkRows: 10, collectIssued: false });
  t.equal(result.failures.length, 1);
  t.match(result.failures[0], { indices: [0, 1, 2], kind: 'unavailable', code: 'ECONNREFUSED' });
});

t.test('concurrent writers of one coupon never oversell and store each user once (property)', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 16 }),
      async (stock, batches, chunkRows) => {
        const couponId = await coupon(stock);
        // Ticket = user number, so a replayed user carries the same ticket.
        const toMessages = (users: number[]): string[] => users.map((n) => encodeIssueRequest({ couponId, userId: `p${n}`, ticket: n, admittedAt: 0 }));
        await Promise.all(batches.map((users) => write(toMessages(users), chunkRows)));
        const users = new Set(batches.flat());
        const state = await couponState(pool, couponId);
        const refused = state.rejections.SOLD_OUT ?? 0;
        return (
          state.rows === Math.min(stock, users.size) &&
          state.distinctUsers === state.rows &&
          state.issuedQuantity === state.rows &&
          state.rows + refused === users.size &&
          (await storedAndRefused(pool, couponId)) === 0
        );
      },
    ),
    { numRuns: 25 },
  );
  t.pass('no counterexample');
});
