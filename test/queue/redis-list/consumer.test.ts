/**
 * QUEUE=redis: items pushed to the real Redis pending list (as the gate's admission script
 * does) end as exactly the right rows in the real MariaDB, through the same batch writer.
 */
import t from 'tap';
import { Redis } from 'ioredis';
import { startConsumers } from '../../../src/queue/consumers.js';
import { redisQueueKeys } from '../../../src/queue/redis-list/keys.js';
import { type RedisDeadLetter } from '../../../src/queue/redis-list/queue.js';
import { encodeIssueRequest, type IssueRequest } from '../../../src/queue/message.js';
import { testConfig } from '../../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, storedAndRefused, testLogger, waitUntil } from '../../consumer/helpers.js';

const config = testConfig({ QUEUE: 'redis', WORKER_THREADS: '2', REDIS_QUEUE_BATCH: '700' });
const log = testLogger(config);
const pool = await openStore(config);
const redis = new Redis(config.redis.url);
const keys = redisQueueKeys(config.kafka.topic);
const consumers = await startConsumers(config, log);
const couponIds: number[] = [];

async function queueKeysInUse(): Promise<string[]> {
  return redis.keys(`${keys.pending.replace(/:pending$/, '')}:*`);
}

t.teardown(async () => {
  await consumers.stop();
  await dropCoupons(pool, couponIds);
  const left = await queueKeysInUse();
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
  await pool.end();
});

async function coupon(stock: number): Promise<number> {
  const id = await createCoupon(pool, stock);
  couponIds.push(id);
  return id;
}

async function push(items: (IssueRequest | string)[]): Promise<void> {
  const encoded = items.map((item) => (typeof item === 'string' ? item : encodeIssueRequest(item)));
  for (let start = 0; start < encoded.length; start += 1000) await redis.rpush(keys.pending, ...encoded.slice(start, start + 1000));
}

/** Nothing pending and nothing held by any consumer: everything pushed is settled. */
async function drained(): Promise<boolean> {
  if ((await redis.llen(keys.pending)) > 0) return false;
  const held = await redis.keys(keys.processing('*'));
  for (const key of held) if ((await redis.llen(key)) > 0) return false;
  return true;
}

t.test('5,000 queued requests for a stock of 500: the first 500 tickets get rows, once; a replay changes nothing', async (t) => {
  const couponId = await coupon(500);
  const requests = admitted(couponId, 5000);
  await push(requests);
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows + (s.rejections.SOLD_OUT ?? 0) >= 5000);
  t.same(state, { rows: 500, distinctUsers: 500, issuedQuantity: 500, rejections: { SOLD_OUT: 4500 } }, 'exactly the stock, no duplicates');
  // Two consumers take batches side by side, so over stock (a gate failure) who wins is
  // commit order, not strictly ticket order; nobody is both stored and refused.
  t.equal(await storedAndRefused(pool, couponId), 0, 'no user is both stored and refused');
  t.ok(await waitUntil(drained, Boolean), 'the queue is empty once stored');

  await push(requests);
  t.ok(await waitUntil(drained, Boolean), 'the replayed items were taken and acknowledged');
  t.same(await couponState(pool, couponId), state, 'the replay inserted nothing');
});

t.test('a poison item goes to the Redis dead-letter list and the queue keeps flowing', async (t) => {
  const couponId = await coupon(10);
  const poison = `poison-${couponId}`;
  await push([...admitted(couponId, 1), poison, ...admitted(couponId, 1, { firstTicket: 2 })]);
  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 2);
  t.equal(state.rows, 2, 'the items around the poison are stored');
  const letters = (await redis.lrange(keys.deadLetters, 0, -1)).map((entry) => JSON.parse(entry) as RedisDeadLetter);
  const letter = letters.find((entry) => entry.value === poison);
  t.ok(letter, 'the poison item is in the dead-letter list, unchanged');
  t.equal(letter?.reason, 'UNDECODABLE');
  t.equal(letter?.error, 'message is not JSON');
});

t.test('the items of a consumer that died holding them are moved back and stored', async (t) => {
  const couponId = await coupon(300);
  const deadConsumer = 'a-consumer-that-died';
  const orphaned = admitted(couponId, 300).map(encodeIssueRequest);
  // What a consumer killed mid-batch leaves: a processing list and a heartbeat long past.
  await redis.rpush(keys.processing(deadConsumer), ...orphaned);
  await redis.zadd(keys.consumers, Date.now() - 60_000, deadConsumer);

  const state = await waitUntil(() => couponState(pool, couponId), (s) => s.rows >= 300, 30_000);
  t.same(state, { rows: 300, distinctUsers: 300, issuedQuantity: 300, rejections: {} });
  t.equal(await redis.exists(keys.processing(deadConsumer)), 0, 'the dead consumer holds nothing any more');
  t.equal(await redis.zscore(keys.consumers, deadConsumer), null, 'and is forgotten');
});
