/**
 * A consumer process killed with SIGKILL mid-stream (rows committed, offsets or list
 * acknowledgements maybe not) and started again ends with exactly the right rows; a
 * SIGTERM then stops it cleanly. Runs the real binary: `flash-coupon serve --role consumer`.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import { encodeIssueRequest } from '../../src/queue/message.js';
import type { Config } from '../../src/config/index.js';
import type { Pool } from '../../src/store/mysql.js';
import { testConfig } from '../helpers/env.js';
import { admitted, couponState, createCoupon, dropCoupons, openStore, testKafka, testLogger, waitUntil } from './helpers.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));
const TOTAL = 20_000;

interface Scenario {
  config: Config;
  env: Record<string, string>;
  pool: Pool;
  couponId: number;
  children: ChildProcess[];
}

async function scenario(t: Test, env: Record<string, string>): Promise<Scenario> {
  const config = testConfig(env);
  const pool = await openStore(config);
  const couponId = await createCoupon(pool, TOTAL);
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await dropCoupons(pool, [couponId]);
    await pool.end();
  });
  return { config, env: { ...env, KAFKA_TOPIC: config.kafka.topic, KAFKA_GROUP_ID: config.kafka.groupId, PORT: '0', LOG_LEVEL: 'warn' }, pool, couponId, children };
}

function startConsumerProcess(s: Scenario): ChildProcess {
  const child = spawn(process.execPath, [CLI, 'serve', '--role', 'consumer'], { env: { ...process.env, ...s.env }, stdio: ['ignore', 'ignore', 'inherit'] });
  s.children.push(child);
  return child;
}

/** Kills a first consumer once a tenth is stored, starts a second, checks the end state. */
async function killAndRestart(t: Test, s: Scenario, settled: () => Promise<boolean>, afterKill: () => Promise<void> = async () => undefined): Promise<void> {
  const first = startConsumerProcess(s);
  const partial = await waitUntil(() => couponState(s.pool, s.couponId), (state) => state.rows >= TOTAL / 10, 60_000, 20);
  first.kill('SIGKILL');
  await once(first, 'exit');
  const atKill = (await couponState(s.pool, s.couponId)).rows;
  t.ok(partial.rows >= TOTAL / 10 && atKill < TOTAL, `killed mid-stream (${atKill} of ${TOTAL} rows stored)`);
  await afterKill();

  const second = startConsumerProcess(s);
  const state = await waitUntil(() => couponState(s.pool, s.couponId), (current) => current.rows >= TOTAL, 90_000);
  t.same(state, { rows: TOTAL, distinctUsers: TOTAL, issuedQuantity: TOTAL, rejections: {} }, 'every row exactly once');
  t.ok(await waitUntil(settled, Boolean), 'the restarted consumer acknowledged everything');
  second.kill('SIGTERM');
  const [code] = (await once(second, 'exit')) as [number | null];
  t.equal(code, 0, 'SIGTERM stops the consumer cleanly');
}

t.test('kafka: a consumer process killed mid-stream and restarted stores every row exactly once', async (t) => {
  // Small fetches: many batches, so the kill lands between a DB commit and an offset commit.
  const s = await scenario(t, { KAFKA_PARTITIONS: '3', WORKER_THREADS: '3', CONSUMER_MAX_BYTES_PER_PARTITION: '4096' });
  const kafka = await testKafka(s.config, testLogger(s.config));
  t.teardown(async () => {
    await kafka.deleteTopics();
    await kafka.close();
  });
  await kafka.produce(admitted(s.couponId, TOTAL), { keyBy: 'userId' });
  await killAndRestart(t, s, () => kafka.caughtUp(s.config.kafka.groupId));
});

t.test('redis queue: a consumer process killed holding items; its successor moves them back and stores every row once', async (t) => {
  const s = await scenario(t, { QUEUE: 'redis', WORKER_THREADS: '2', REDIS_QUEUE_BATCH: '200' });
  const redis = new Redis(s.config.redis.url);
  const keys = redisQueueKeys(s.config.kafka.topic);
  t.teardown(async () => {
    const left = await redis.keys(`${keys.pending.replace(/:pending$/, '')}:*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });
  const items = admitted(s.couponId, TOTAL).map(encodeIssueRequest);
  for (let start = 0; start < items.length; start += 1000) await redis.rpush(keys.pending, ...items.slice(start, start + 1000));
  const drained = async (): Promise<boolean> => {
    for (const key of [keys.pending, ...(await redis.keys(keys.processing('*')))]) if ((await redis.llen(key)) > 0) return false;
    return true;
  };
  const held = async (): Promise<void> => {
    let count = 0;
    for (const key of await redis.keys(keys.processing('*'))) count += await redis.llen(key);
    t.ok(count > 0, `the killed consumer held items (${count})`);
  };
  await killAndRestart(t, s, drained, held);
});
