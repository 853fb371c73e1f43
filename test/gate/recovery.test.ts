/**
 * A Redis that lost the gate's keys (flushed or restarted) is rebuilt from MySQL before any
 * new admission: the coupon answers 503 (retry) while it is rebuilt, then holders are not
 * admitted twice and the stock is not exceeded.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { couponKeys } from '../../src/gate/keys.js';
import { createPool } from '../../src/store/mysql.js';
import { createCoupon, issue, request, startTestService, type JsonResponse, type TestService } from '../helpers/service.js';

/** Asks as a user would: again while the answer is 503 (the gate is being rebuilt). */
async function issueUntilDecided(svc: TestService, couponId: number, userId: string): Promise<{ final: JsonResponse; retries: number }> {
  let retries = 0;
  let response = await issue(svc, couponId, userId);
  while (response.status === 503 && retries < 100) {
    retries++;
    await new Promise((resolve) => setTimeout(resolve, 200));
    response = await issue(svc, couponId, userId);
  }
  return { final: response, retries };
}

// Role all: a rebuild waits for the writers group to store what was admitted before the loss.
const svc = await startTestService({ ROLE: 'all' });
const redis = new Redis(svc.config.redis.url);
const pool = createPool(svc.config.mysql, 2);
t.teardown(async () => {
  await svc.stop();
  redis.disconnect();
  await pool.end();
});

t.test('a flushed gate is rebuilt from MySQL', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 5 });
  // Three holders are stored in MySQL (as the batch writer would have done).
  await pool.query('INSERT INTO user_coupon (coupon_id, user_id, ticket) VALUES ?', [[[couponId, 'h1', 1], [couponId, 'h2', 2], [couponId, 'h3', 3]]]);
  await pool.query('UPDATE coupon SET issued_quantity = 3 WHERE id = ?', [couponId]);
  const keys = couponKeys(couponId);
  await redis.del(keys.meta, keys.users);

  const first = await issue(svc, couponId, 'h2');
  t.equal(first.status, 503, 'the first request finds the gate lost and starts its rebuild');
  t.equal((first.body['error'] as { code: string }).code, 'UNAVAILABLE');
  const { final: holderAgain } = await issueUntilDecided(svc, couponId, 'h2');
  t.equal(holderAgain.status, 409);
  t.equal((holderAgain.body['error'] as { code: string }).code, 'ALREADY_ISSUED', 'a holder is not admitted twice');

  const newcomers = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((user) => issueUntilDecided(svc, couponId, user)));
  const accepted = newcomers.map((r) => r.final).filter((r) => r.status === 202);
  t.equal(accepted.length, 2, 'only the 2 coupons left are admitted');
  t.same(accepted.map((r) => r.body['ticket']).sort(), [4, 5], 'tickets continue after the stored ones');
  const coupon = await request(`${svc.url}/api/coupons/${couponId}`);
  t.match(coupon.body, { admitted: 5, remaining: 0, issued: 3 });
});

t.test('concurrent requests during a rebuild are decided once each', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 50 });
  const keys = couponKeys(couponId);
  await redis.del(keys.meta, keys.users);
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => issueUntilDecided(svc, couponId, `r-${i}`)));
  const responses = answers.map((answer) => answer.final);
  t.ok(answers.some((answer) => answer.retries > 0), 'requests during the rebuild were answered 503 first');
  t.equal(responses.filter((r) => r.status === 202).length, 50);
  t.equal(responses.filter((r) => r.status === 409).length, 150);
});

t.test('a gate behind a ticket this front door handed off admits nobody until rebuilt', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 5 });
  for (const user of ['b1', 'b2', 'b3']) t.equal((await issue(svc, couponId, user)).status, 202, `${user} admitted`);
  const deadline = Date.now() + 30000;
  const storedRows = async (): Promise<number> => Number(((await pool.query('SELECT COUNT(*) AS n FROM user_coupon WHERE coupon_id = ?', [couponId]))[0] as { n: number }[])[0]?.n);
  while ((await storedRows()) < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  // What a replica promoted before it had b2 and b3 holds: older keys, not missing ones (the
  // run id is unchanged here, so only the floor can tell).
  const keys = couponKeys(couponId);
  await redis.hset(keys.meta, 'admitted', 1, 'seq', 1);
  await redis.hdel(keys.users, 'b2', 'b3');

  const first = await issue(svc, couponId, 'n1');
  t.equal(first.status, 503, 'the stale gate admits nobody: it is rebuilt first');
  const { final: n1 } = await issueUntilDecided(svc, couponId, 'n1');
  t.equal(n1.body['ticket'], 4, 'tickets continue after the stored ones');
  const { final: n2 } = await issueUntilDecided(svc, couponId, 'n2');
  t.equal(n2.status, 202);
  const { final: n3 } = await issueUntilDecided(svc, couponId, 'n3');
  t.equal((n3.body['error'] as { code: string }).code, 'SOLD_OUT', 'the stock is not sold twice');
  const { final: b2 } = await issueUntilDecided(svc, couponId, 'b2');
  t.equal((b2.body['error'] as { code: string }).code, 'ALREADY_ISSUED', 'a holder the gate had lost is known again');
});
