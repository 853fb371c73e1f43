/**
 * The front door itself fails mid-sale, run as the real binary: frozen for 2.5 s (SIGSTOP,
 * then SIGCONT), and an `--role api` process SIGKILLed while its admissions wait for a frozen
 * Kafka broker. After the kill its hand-off markers stay in Redis; a fresh front door's
 * reconciler must release those with neither a row nor a message within the bound, and new
 * users must then get the whole stock. Each scenario has a private Redis (the reconciler
 * looks at every coupon of the Redis it runs on).
 */
import t from 'tap';
import { couponKeys } from '../../src/gate/keys.js';
import { parseMarker } from '../../src/gate/scripts.js';
import { createPool } from '../../src/store/mysql.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { startPrivateBroker } from '../helpers/kafka-broker.js';
import { spawnService, type ServiceProcess } from '../helpers/process.js';
import { startPrivateRedis } from '../helpers/redis-server.js';
import type { TestService } from '../helpers/service.js';
import { checkPromises, RECONCILE_BOUND_MS, releasedTotal, startSale, waitFor } from './harness.js';
import type { RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';

const ADMIN_TOKEN = 'fault-test-token-0123456789';
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function serviceEnv(redisUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const topic = uniqueName('t-front-door');
  return { ADMIN_TOKEN, KAFKA_TOPIC: topic, KAFKA_GROUP_ID: `${topic}-group`, WORKER_THREADS: '2', REDIS_URL: redisUrl, ...extra };
}

t.test('the front door frozen 2.5 s mid-sale', async (t) => {
  const redis = await startPrivateRedis(16426);
  t.teardown(() => redis.stop());
  const env = serviceEnv(redis.url);
  const front = await spawnService({ ...env, ROLE: 'all' });
  t.teardown(() => front.stop('SIGKILL'));
  const svc = { url: front.url, adminToken: ADMIN_TOKEN } as TestService;
  const stock = 2000;
  const prefix = uniqueName('front-frozen');
  const sale = await startSale(svc, { users: 5000, stock, rate: 800, prefix });
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);
  front.child.kill('SIGSTOP');
  await pause(2500);
  front.child.kill('SIGCONT');
  const faultEndedAt = Date.now();
  t.pass(`front door frozen 2.5 s after ${sale.sent()} requests`);
  await sale.done;
  await checkPromises(t, { scenario: 'front door frozen 2.5 s', config: testConfig(env), url: svc.url, sale, stock, faultEndedAt, prefix });
});

t.test('an api process SIGKILLed while its admissions wait for a frozen Kafka', async (t) => {
  const redis = await startPrivateRedis(16427);
  t.teardown(() => redis.stop());
  const broker = await startPrivateBroker(19720);
  t.teardown(() => broker.destroy());
  // The reconcile interval lowered to 1 s; the front door's presence TTL stays 15 s.
  const env = serviceEnv(redis.url, { KAFKA_BROKERS: broker.brokers, RECONCILE_INTERVAL_MS: '1000' });
  const processes: ServiceProcess[] = [];
  t.teardown(async () => {
    for (const proc of processes) await proc.stop('SIGKILL');
  });
  const start = async (role: 'api' | 'consumer'): Promise<ServiceProcess> => {
    const proc = await spawnService({ ...env, ROLE: role });
    processes.push(proc);
    return proc;
  };
  await start('consumer');
  const first = await start('api');
  const stock = 2000;
  const prefix = uniqueName('api-killed');
  const sale = await startSale({ url: first.url, adminToken: ADMIN_TOKEN } as TestService, { users: 5000, stock, rate: 800, prefix });
  const config = testConfig(env);
  await waitFor(async () => sale.sent(), (sent) => sent >= 1000, 30000);

  broker.freeze();
  // Admitted requests pile up waiting for their hand-off (one send stuck in the broker).
  await pause(1000);
  sale.stop();
  await first.stop('SIGKILL');
  const killedAt = Date.now();
  broker.thaw();
  t.pass(`api process SIGKILLed after ${sale.sent()} requests, with Kafka frozen for 1 s`);
  const gateRedis = new Redis(redis.url);
  t.teardown(() => gateRedis.disconnect());
  const markers = Object.values(await gateRedis.hgetall(couponKeys(sale.couponId).handoff)).map(parseMarker);
  const marked = markers.flatMap((marker) => marker.admitted.map(([userId]) => userId));
  t.ok(marked.length > 0, `the dead front door left ${markers.length} hand-off markers for ${marked.length} admissions`);

  const second = await start('api');
  const svc = { url: second.url, adminToken: ADMIN_TOKEN } as TestService;
  await sale.done;
  // Settled: the markers are gone; then every admission with neither a row nor a message is released.
  await waitFor(() => gateRedis.hlen(couponKeys(sale.couponId).handoff), (left) => left === 0, RECONCILE_BOUND_MS);
  const reconciledAfterMs = Date.now() - killedAt;
  t.ok(reconciledAfterMs <= RECONCILE_BOUND_MS, `the dead front door's markers settled ${reconciledAfterMs} ms after the kill (bound ${RECONCILE_BOUND_MS} ms)`);
  const pool = createPool(config.mysql, 2);
  t.teardown(() => pool.end());
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id FROM user_coupon WHERE coupon_id = ? AND user_id IN (?)', [sale.couponId, marked]);
  const storedMarked = new Set(rows.map((row) => String(row.user_id)));
  const released = (await releasedTotal(svc.url))['reconciled'] ?? 0;
  t.equal(released, marked.length - storedMarked.size, `released exactly the ${marked.length - storedMarked.size} marked admissions with no row (${storedMarked.size} reached Kafka and are kept)`);
  for (const user of marked) {
    const ticket = await gateRedis.hget(couponKeys(sale.couponId).users, user);
    if ((ticket !== null) !== storedMarked.has(user)) t.fail(`${user}: gate ticket ${ticket}, stored ${storedMarked.has(user)}`);
  }

  await checkPromises(t, {
    scenario: 'api SIGKILLed, Kafka frozen',
    config,
    url: svc.url,
    sale,
    stock,
    faultEndedAt: killedAt,
    prefix,
    answersMayBeLost: true,
    figures: { marked: marked.length, reconciledAfterMs },
  });
});
