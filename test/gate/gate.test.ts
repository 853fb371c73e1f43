/**
 * The gate on the real Redis, with coupons in the real MariaDB: the requests of one
 * event-loop turn are decided by one call of lua/admit.lua, in arrival order, with the
 * same answers one call per request would give.
 */
import t from 'tap';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { GateCode } from '../../src/gate/codes.js';
import { Gate } from '../../src/gate/gate.js';
import { couponKeys } from '../../src/gate/keys.js';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import { findCoupon, insertCoupon, loadHolders, type NewCoupon } from '../../src/store/coupons.js';
import { decodeIssueRequest } from '../../src/queue/message.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { dropCoupons, openStore } from '../consumer/helpers.js';

const config = testConfig();
const pool = await openStore(config);
const redis = new Redis(config.redis.url);
const created: number[] = [];
const source = { findCoupon: (id: number) => findCoupon(pool, id), loadHolders: (id: number) => loadHolders(pool, id) };
t.teardown(async () => {
  await redis.del(...created.flatMap((id) => Object.values(couponKeys(id))));
  await dropCoupons(pool, created);
  redis.disconnect();
  await pool.end();
});

async function openCoupon(gate: Gate, totalQuantity: number, window: Partial<NewCoupon> = {}): Promise<number> {
  const coupon = await insertCoupon(pool, {
    name: 'gate test',
    discountType: 'PERCENT',
    discountValue: 10,
    totalQuantity,
    minOrderAmount: null,
    startsAt: null,
    expiresAt: null,
    ...window,
  });
  created.push(coupon.couponId);
  await gate.open(coupon);
  return coupon.couponId;
}

/** Watches Redis (MONITOR) for the script calls that touch one coupon's keys. */
async function watchCalls(couponId: number): Promise<{ stop: () => Promise<number> }> {
  const monitor = await redis.monitor();
  const { meta } = couponKeys(couponId);
  const marker = uniqueName('end-of-watch');
  let calls = 0;
  let sawMarker: () => void = () => undefined;
  const markerSeen = new Promise<void>((resolve) => (sawMarker = resolve));
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0]?.toLowerCase().startsWith('eval') && args.includes(meta)) calls++;
    if (args.includes(marker)) sawMarker();
  });
  return {
    // Redis reports commands in the order it ran them: once the marker shows, all calls did.
    stop: async () => {
      await redis.echo(marker);
      await markerSeen;
      monitor.disconnect();
      return calls;
    },
  };
}

t.test('one turn of requests is one script call, decided in arrival order', async (t) => {
  const gate = new Gate(redis, source, undefined);
  await gate.load();
  const couponId = await openCoupon(gate, 3);
  const users = ['a', 'b', 'a', 'c', 'd', 'b', 'e'];
  const watch = await watchCalls(couponId);
  const results = await Promise.all(users.map((user) => gate.admit(couponId, user)));
  const calls = await watch.stop();
  t.same(results, [
    { code: GateCode.ADMITTED, ticket: 1 },
    { code: GateCode.ADMITTED, ticket: 2 },
    { code: GateCode.ALREADY_ISSUED, ticket: 1 },
    { code: GateCode.ADMITTED, ticket: 3 },
    { code: GateCode.SOLD_OUT, ticket: 0 },
    { code: GateCode.ALREADY_ISSUED, ticket: 2 },
    { code: GateCode.SOLD_OUT, ticket: 0 },
  ]);
  t.equal(calls, 1, `one script call for ${users.length} requests`);
  t.match(await gate.counts(couponId), { total: 3, admitted: 3, answers: { ADMITTED: 3, ALREADY_ISSUED: 2, SOLD_OUT: 2, NOT_STARTED: 0, EXPIRED: 0 } });
  t.same(await redis.hmget(couponKeys(couponId).meta, 'seq'), ['3'], 'the ticket sequence moved by the batch');
});

t.test('each request is judged against the sale window by its own arrival time', async (t) => {
  const gate = new Gate(redis, source, undefined);
  const startsAt = new Date(Date.now() + 60_000);
  const expiresAt = new Date(Date.now() + 120_000);
  const couponId = await openCoupon(gate, 10, { startsAt, expiresAt });
  const at = (offsetMs: number): number => startsAt.getTime() + offsetMs;
  const results = await Promise.all([gate.admit(couponId, 'early', at(-1)), gate.admit(couponId, 'on-time', at(0)), gate.admit(couponId, 'late', expiresAt.getTime())]);
  t.same(
    results.map((r) => r.code),
    [GateCode.NOT_STARTED, GateCode.ADMITTED, GateCode.EXPIRED],
  );
});

t.test('batches stay within their size and per coupon, and a released ticket is never reused', async (t) => {
  const gate = new Gate(redis, source, undefined);
  const big = await openCoupon(gate, 1000);
  const small = await openCoupon(gate, 1);
  const results = await Promise.all([
    ...Array.from({ length: 450 }, (_, i) => gate.admit(big, `u${i}`)),
    gate.admit(small, 'x'),
    gate.admit(small, 'y'),
  ]);
  t.same(
    results.slice(0, 450).map((r) => r.ticket),
    Array.from({ length: 450 }, (_, i) => i + 1),
    '450 requests over several batches keep their order',
  );
  t.same(results.slice(450), [
    { code: GateCode.ADMITTED, ticket: 1 },
    { code: GateCode.SOLD_OUT, ticket: 0 },
  ]);
  t.ok(await gate.release(big, 'u449', 450));
  t.same(await gate.admit(big, 'late'), { code: GateCode.ADMITTED, ticket: 451 });
  t.match(await gate.counts(big), { admitted: 450 });
});

t.test('Redis-list mode: every admission of a batch is queued in the same step, in order', async (t) => {
  const queue = redisQueueKeys(uniqueName('gate-test')).pending;
  t.teardown(() => redis.del(queue));
  const gate = new Gate(redis, source, queue);
  const couponId = await openCoupon(gate, 2);
  const now = Date.now();
  const results = await Promise.all(['q1', 'q2', 'q1', 'q3'].map((user) => gate.admit(couponId, user, now)));
  t.same(
    results.map((r) => r.code),
    [GateCode.ADMITTED, GateCode.ADMITTED, GateCode.ALREADY_ISSUED, GateCode.SOLD_OUT],
  );
  const queued = (await redis.lrange(queue, 0, -1)).map((message) => decodeIssueRequest(message));
  t.same(queued, [
    { couponId, userId: 'q1', ticket: 1, admittedAt: now },
    { couponId, userId: 'q2', ticket: 2, admittedAt: now },
  ]);
});

t.test('a batch for a coupon unknown to Redis and MySQL is answered MISSING for every request', async (t) => {
  const gate = new Gate(redis, source, undefined);
  const results = await Promise.all(['m1', 'm2'].map((user) => gate.admit(2_000_000_000, user)));
  t.same(results, [
    { code: GateCode.MISSING, ticket: 0 },
    { code: GateCode.MISSING, ticket: 0 },
  ]);
});

t.test('a failed script call rejects every request of its batch', async (t) => {
  // A real client whose connection was closed: every call fails at once.
  const broken = new Redis(config.redis.url, { enableOfflineQueue: false });
  await once(broken, 'ready');
  broken.disconnect();
  const gate = new Gate(broken, source, undefined);
  const results = await Promise.allSettled(['f1', 'f2'].map((user) => gate.admit(1, user)));
  t.same(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
});
