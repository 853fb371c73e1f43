/**
 * Redis loses all its data while the writers are thousands of messages behind: the admitted
 * requests are in Kafka, not yet in MySQL. A gate rebuilt from MySQL alone would count none
 * of them and sell their stock again (202s later refused by the database). The rebuild waits
 * until the writers group has caught up: meanwhile the coupon answers 503 (nothing reserved),
 * and once they have, the remaining stock is sold to new users, exactly.
 */
import t from 'tap';
import { uniqueName } from '../helpers/env.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import { startTestService, type TestService } from '../helpers/service.js';
import { startSale, verifyNoUndersell, verifySale, verifyUnavailableLeftNoTrace, waitFor } from './harness.js';

t.test('Redis data lost while the consumer lags 2,000 messages: the rebuild waits for them, nothing is sold twice', async (t) => {
  const port = 16396;
  let redis = await startPrivateRedis(port);
  t.teardown(() => redis.stop());
  const topic = uniqueName('t-lagging');
  const env = { REDIS_URL: redis.url, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2' };
  // A front door alone: nobody stores yet, so every admission waits in Kafka.
  const api = await startTestService({ ...env, ROLE: 'api' });
  t.teardown(() => api.stop());
  const stock = 3000;
  const sale = await startSale(api, { users: 2000, stock, rate: 2000, prefix: uniqueName('lagging') });
  await sale.done;
  const admittedBefore = [...sale.outcomes.values()].filter((outcome) => outcome === 202).length;
  t.equal(admittedBefore, 2000, 'every user of the first wave admitted (stock left: 1,000)');

  await redis.stop();
  redis = await startPrivateRedis(port);
  // New users while the writers have not caught up: the gate cannot count the admissions in
  // Kafka yet, so it admits nobody.
  const during = Array.from({ length: 30 }, (_, i) => `${uniqueName('during')}-${i}`);
  for (const userId of during) {
    const response = await fetch(`${api.url}/api/coupons/${sale.couponId}/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId }) });
    await response.arrayBuffer();
    sale.outcomes.set(userId, response.status);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.same(
    [...new Set(during.map((userId) => sale.outcomes.get(userId)))],
    [503],
    'while the writers lag, the coupon answers 503 (it is being rebuilt)',
  );

  // The writers start and catch up; the rebuild then counts all 2,000 and reopens the gate.
  const consumer: TestService = await startTestService({ ...env, ROLE: 'consumer' });
  t.teardown(() => consumer.stop());
  const consumerStartedAt = Date.now();
  await waitFor(
    () => fetch(`${api.url}/api/coupons/${sale.couponId}`).then(async (r) => (await r.json()) as { admitted?: number }),
    (coupon) => coupon.admitted === admittedBefore,
    60000,
  );
  t.pass(`gate rebuilt with ${admittedBefore} admissions ${Date.now() - consumerStartedAt} ms after the writers started`);
  await verifyNoUndersell(t, api.config, api.url, sale, stock, consumerStartedAt, uniqueName('after'));
  const summary = await verifySale(t, api.config, sale, stock);
  t.equal(summary.stored, stock, `the whole stock stored, none twice: ${JSON.stringify(summary)}`);
  await verifyUnavailableLeftNoTrace(t, api, sale);
});
