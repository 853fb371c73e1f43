/**
 * A Redis that lost the gate's keys (flushed or restarted) is rebuilt from MySQL before any
 * new admission: holders are not admitted twice and the stock is not exceeded.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { couponKeys } from '../../src/gate/keys.js';
import { createPool } from '../../src/store/mysql.js';
import { createCoupon, issue, request, startTestService } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api' });
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

  const holderAgain = await issue(svc, couponId, 'h2');
  t.equal(holderAgain.status, 409);
  t.equal((holderAgain.body['error'] as { code: string }).code, 'ALREADY_ISSUED', 'a holder is not admitted twice');

  const newcomers = await Promise.all(['n1', 'n2', 'n3', 'n4'].map((user) => issue(svc, couponId, user)));
  const accepted = newcomers.filter((r) => r.status === 202);
  t.equal(accepted.length, 2, 'only the 2 coupons left are admitted');
  t.same(accepted.map((r) => r.body['ticket']).sort(), [4, 5], 'tickets continue after the stored ones');
  const coupon = await request(`${svc.url}/api/coupons/${couponId}`);
  t.match(coupon.body, { admitted: 5, remaining: 0, issued: 3 });
});

t.test('concurrent requests during a rebuild are decided once each', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 50 });
  const keys = couponKeys(couponId);
  await redis.del(keys.meta, keys.users);
  const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => issue(svc, couponId, `r-${i}`)));
  t.equal(responses.filter((r) => r.status === 202).length, 50);
  t.equal(responses.filter((r) => r.status === 409).length, 150);
});
