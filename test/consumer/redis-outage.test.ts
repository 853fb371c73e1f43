/**
 * QUEUE=redis with Redis unreachable for a while (the consumer reaches it through a TCP
 * proxy the test cuts mid-stream and restores): storing pauses and resumes; every item is
 * stored once and the queue ends empty.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { startConsumers } from '../../src/queue/consumers.js';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import { encodeIssueRequest } from '../../src/queue/message.js';
import { testConfig } from '../helpers/env.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testLogger, waitUntil } from './helpers.js';

t.test('a Redis outage mid-stream delays storage but loses and doubles nothing', async (t) => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  const config = testConfig({ QUEUE: 'redis', REDIS_URL: `redis://127.0.0.1:${proxy.port}`, REDIS_QUEUE_BATCH: '100', WORKER_THREADS: '2', WRITER_RETRY_BASE_MS: '50' });
  const redis = new Redis(); // direct, to fill and inspect the queue
  const keys = redisQueueKeys(config.kafka.topic);
  const pool = await openStore(config);
  const couponId = await createCoupon(pool, 20_000);
  const items = admitted(couponId, 20_000).map(encodeIssueRequest);
  for (let start = 0; start < items.length; start += 1000) await redis.rpush(keys.pending, ...items.slice(start, start + 1000));
  const consumers = await startConsumers(config, testLogger(config));
  t.teardown(async () => {
    await proxy.restore().catch(() => undefined);
    await consumers.stop();
    await proxy.close();
    await dropCoupons(pool, [couponId]);
    const left = await redis.keys(`${keys.pending.replace(/:pending$/, '')}:*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
    await pool.end();
  });

  await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 1000, 60_000, 10);
  await proxy.cut();
  const during = (await couponState(pool, couponId)).rows;
  t.ok(during < 20_000, `cut mid-stream (${during} rows stored)`);
  await waitUntil(async () => (await couponState(pool, couponId)).rows, () => false, 2000, 500);
  await proxy.restore();

  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 20_000);
  t.same(state, { rows: 20_000, distinctUsers: 20_000, issuedQuantity: 20_000, rejections: {} }, 'every item stored once');
  const drained = async (): Promise<boolean> => {
    for (const key of [keys.pending, ...(await redis.keys(keys.processing('*')))]) if ((await redis.llen(key)) > 0) return false;
    return true;
  };
  t.ok(await waitUntil(drained, Boolean), 'nothing is left pending or held');
});
