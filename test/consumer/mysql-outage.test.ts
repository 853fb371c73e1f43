/**
 * MariaDB unreachable for a while (the consumer reaches it through a TCP proxy that the
 * test cuts and restores): storage waits, then catches up; nothing is lost or
 * dead-lettered, however many tries the outage takes.
 */
import t from 'tap';
import { startConsumers } from '../../src/queue/consumers.js';
import { dlqMessages, writerRetries } from '../../src/consumer/metrics.js';
import { testConfig } from '../helpers/env.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testKafka, testLogger, waitUntil } from './helpers.js';

async function total(counter: typeof dlqMessages | typeof writerRetries): Promise<number> {
  return (await counter.get()).values.reduce((sum, value) => sum + value.value, 0);
}

t.test('a MariaDB outage delays storage but loses nothing', async (t) => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 3306 });
  // Only two tries per message: the outage must not use them up.
  const config = testConfig({ MYSQL_URL: `mysql://root@127.0.0.1:${proxy.port}/flash_coupon`, WRITER_RETRY_ATTEMPTS: '2', WRITER_RETRY_BASE_MS: '50' });
  const log = testLogger(config);
  const pool = await openStore(testConfig()); // direct, to look at what is stored
  const kafka = await testKafka(config, log);
  const couponId = await createCoupon(pool, 3000);
  const consumers = await startConsumers(config, log);
  t.teardown(async () => {
    await proxy.restore().catch(() => undefined);
    await consumers.stop();
    await proxy.close();
    await dropCoupons(pool, [couponId]);
    await kafka.deleteTopics();
    await kafka.close();
    await pool.end();
  });
  const [deadLettered, retried] = [await total(dlqMessages), await total(writerRetries)];

  await proxy.cut();
  await kafka.produce(admitted(couponId, 3000), { keyBy: 'userId' });
  // Retries past the per-message limit show the outage is waited out, not counted.
  const retries = await waitUntil(() => total(writerRetries), (n) => n - retried >= 4, 30_000);
  t.ok(retries - retried >= 4, 'the writer kept retrying while the database was away');
  t.equal((await couponState(pool, couponId)).rows, 0, 'nothing could be stored meanwhile');

  await proxy.restore();
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 3000);
  t.same(state, { rows: 3000, distinctUsers: 3000, issuedQuantity: 3000, rejections: {} }, 'every row stored once');
  t.equal(await total(dlqMessages), deadLettered, 'nothing was dead-lettered');
});
