/**
 * Token buckets on issue requests (off by default): per client address and per user, 429
 * RATE_LIMITED with Retry-After, counted on /metrics; X-Forwarded-For names the client only
 * when TRUST_PROXY says a proxy in front sets it.
 */
import { register } from 'prom-client';
import t from 'tap';
import { clientAddress, TokenBuckets } from '../../src/http/rate-limit.js';
import { createCoupon, postJson, startTestService } from '../helpers/service.js';

t.test('a bucket: burst, refill at the rate, Retry-After until the next token', async (t) => {
  let now = 0;
  const buckets = new TokenBuckets(2, 3, 'user', () => now);
  for (let i = 0; i < 3; i++) buckets.take('u');
  t.throws(() => buckets.take('u'), { code: 'RATE_LIMITED', headers: { 'Retry-After': '1' } }, 'the 4th at once is refused');
  buckets.take('other');
  now += 500;
  buckets.take('u');
  t.throws(() => buckets.take('u'), { code: 'RATE_LIMITED' }, 'one token came back in 500 ms at 2/s');
});

t.test('the client address: the peer, or the last X-Forwarded-For entry behind a trusted proxy', async (t) => {
  t.equal(clientAddress('10.0.0.1', '1.2.3.4, 5.6.7.8', false), '10.0.0.1');
  t.equal(clientAddress('10.0.0.1', '1.2.3.4, 5.6.7.8', true), '5.6.7.8');
  t.equal(clientAddress('10.0.0.1', '', true), '10.0.0.1');
});

t.test('per address and per user in the front door, with TRUST_PROXY', async (t) => {
  const svc = await startTestService({ ROLE: 'api', RATE_LIMIT_ADDRESS_PER_S: '1', RATE_LIMIT_ADDRESS_BURST: '3', RATE_LIMIT_USER_PER_S: '1', RATE_LIMIT_USER_BURST: '2', TRUST_PROXY: 'true' });
  t.teardown(() => svc.stop());
  const couponId = await createCoupon(svc, { totalQuantity: 100 });
  const url = `${svc.url}/api/coupons/${couponId}/issue`;
  const from = (address: string): Record<string, string> => ({ 'x-forwarded-for': address });
  const before = (await register.getSingleMetricAsString('flash_coupon_rate_limited_total')).match(/by="address"} (\d+)/)?.[1] ?? '0';

  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await postJson(url, { userId: `a-${i}` }, from('203.0.113.7'))).status);
  t.same(statuses, [202, 202, 202, 429], 'the 4th from one address within a second is refused');
  const limited = await postJson(url, { userId: 'a-9' }, from('203.0.113.7'));
  t.match(limited.body, { error: { code: 'RATE_LIMITED' } });
  t.match(limited.headers.get('retry-after'), /^\d+$/, 'Retry-After');
  t.equal((await postJson(url, { userId: 'a-10' }, from('203.0.113.8'))).status, 202, 'another address has its own bucket');

  const users = [];
  for (let i = 0; i < 3; i++) users.push((await postJson(url, { userId: 'same-user' }, from(`198.51.100.${i}`))).status);
  t.same(users, [202, 409, 429], 'one user from three addresses: the 3rd ask in a second is refused');
  const after = (await register.getSingleMetricAsString('flash_coupon_rate_limited_total')).match(/by="address"} (\d+)/)?.[1] ?? '0';
  t.equal(Number(after) - Number(before), 2, 'refusals counted by address on /metrics');
});
