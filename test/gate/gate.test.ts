/**
 * The gate on the real Redis, with coupons in the real MariaDB: the requests of one
 * event-loop turn are decided by one call of lua/admit-4.lua, in arrival order, with the
 * same answers one call per request would give; the sale window and call deadlines are
 * judged by Redis's clock.
 */
import t from 'tap';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RedisClock } from '../../src/gate/clock.js';
import { GateCode, type GateResult } from '../../src/gate/codes.js';
import { Gate } from '../../src/gate/gate.js';
import { couponKeys } from '../../src/gate/keys.js';
import { redisQueueKeys } from '../../src/queue/redis-list/keys.js';
import { findCoupon, insertCoupon, loadHolderPage, storedCounts, type NewCoupon } from '../../src/store/coupons.js';
import { decodeIssueRequest } from '../../src/queue/message.js';
import { testConfig, uniqueName } from '../helpers/env.js';
import { dropCoupons, openStore } from '../consumer/helpers.js';

const config = testConfig();
const pool = await openStore(config);
const redis = new Redis(config.redis.url);
const created: number[] = [];
const source = {
  findCoupon: (id: number) => findCoupon(pool, id),
  holderPage: (id: number, after: string, limit: number) => loadHolderPage(pool, id, after, limit),
  storedCounts: (id: number) => storedCounts(pool, id),
  queueCaughtUp: () => Promise.resolve(true),
};
t.teardown(async () => {
  await redis.del(...created.flatMap((id) => Object.values(couponKeys(id))));
  await dropCoupons(pool, created);
  redis.disconnect();
  await pool.end();
});

async function newGate(client: Redis = redis, options: { queueKey?: string; admitBudgetMs?: number } = {}): Promise<Gate> {
  const clock = new RedisClock(redis);
  await clock.start();
  const gate = new Gate(client, source, {
    instanceId: uniqueName('gate-test'),
    clock,
    presence: { live: () => Promise.resolve([]) },
    rebuildingKey: uniqueName('flash-coupon:test:rebuilding'),
    admitBudgetMs: options.admitBudgetMs ?? 500,
    queueKey: options.queueKey,
    log: pino({ level: 'silent' }),
  });
  t.teardown(() => {
    gate.stop();
    clock.stop();
  });
  return gate;
}

/** What a caller is told, without the call bookkeeping. */
const told = (results: GateResult[]): { code: number; ticket: number }[] => results.map(({ code, ticket }) => ({ code, ticket }));

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
  const monitor = redis.duplicate({ monitor: true, lazyConnect: true });
  // ioredis counts the connection as monitoring only once MONITOR's OK has been handled, so a
  // command another client ran in that instant (tests run side by side) comes in "with no
  // command queued" and is reported as an error. Such lines precede this watch (its calls
  // start once the connection is monitoring), so they are dropped; any other error is not.
  monitor.on('error', (err: Error) => {
    if (!err.message.startsWith('Command queue state error')) throw err;
  });
  const monitoring = new Promise<void>((resolve) => monitor.once('monitoring', () => resolve()));
  monitor.connect().catch(() => undefined);
  await monitoring;
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
  const gate = await newGate();
  await gate.load();
  const couponId = await openCoupon(gate, 3);
  const users = ['a', 'b', 'a', 'c', 'd', 'b', 'e'];
  const watch = await watchCalls(couponId);
  const results = await Promise.all(users.map((user) => gate.admit(couponId, user)));
  const calls = await watch.stop();
  t.same(told(results), [
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

t.test("the sale window is judged by Redis's clock", async (t) => {
  const gate = await newGate();
  const now = Date.now();
  const notYet = await openCoupon(gate, 10, { startsAt: new Date(now + 60_000), expiresAt: new Date(now + 120_000) });
  const over = await openCoupon(gate, 10, { startsAt: new Date(now - 120_000), expiresAt: new Date(now - 60_000) });
  const open = await openCoupon(gate, 10, { startsAt: new Date(now - 60_000), expiresAt: new Date(now + 60_000) });
  const results = await Promise.all([gate.admit(notYet, 'early'), gate.admit(over, 'late'), gate.admit(open, 'on-time')]);
  t.same(
    results.map((r) => r.code),
    [GateCode.NOT_STARTED, GateCode.EXPIRED, GateCode.ADMITTED],
  );
});

t.test('a call that reaches Redis after its deadline admits nobody and writes nothing', async (t) => {
  // A budget below zero: the deadline has passed by the time the call runs, as for a call
  // that sat in the socket of a stalled Redis after its caller gave up.
  const gate = await newGate(redis, { admitBudgetMs: -1000 });
  const couponId = await openCoupon(gate, 5);
  const before = await redis.hgetall(couponKeys(couponId).meta);
  const results = await Promise.all(['l1', 'l2'].map((user) => gate.admit(couponId, user)));
  t.same(told(results), [
    { code: GateCode.UNAVAILABLE, ticket: 0 },
    { code: GateCode.UNAVAILABLE, ticket: 0 },
  ]);
  t.same(await redis.hgetall(couponKeys(couponId).meta), before, 'counters untouched');
  t.equal(await redis.hlen(couponKeys(couponId).users), 0, 'nobody admitted');
  t.equal(await redis.hlen(couponKeys(couponId).handoff), 0, 'no hand-off marker');
});

t.test('a call that admitted someone leaves a marker until its admissions are handed off', async (t) => {
  const gate = await newGate();
  const couponId = await openCoupon(gate, 5);
  const results = await Promise.all(['h1', 'h2', 'h3'].map((user) => gate.admit(couponId, user)));
  const markers = await gate.markers(couponId);
  t.equal(Object.keys(markers).length, 1, 'one marker for the one call');
  const [callId, marker] = Object.entries(markers)[0] as [string, string];
  t.match(marker, /\|h1\|1\|h2\|2\|h3\|3$/, 'the marker names the users and tickets');
  t.ok(gate.isOpenCall(callId));
  for (const result of results) gate.handedOff(result.call!, result.ticket);
  t.notOk(gate.isOpenCall(callId), 'closed once every admission is handed off');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(await gate.markers(couponId), {}, 'and its marker is gone');
});

t.test('batches stay within their size and per coupon, and a released ticket is never reused', async (t) => {
  const gate = await newGate();
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
  t.same(told(results.slice(450)), [
    { code: GateCode.ADMITTED, ticket: 1 },
    { code: GateCode.SOLD_OUT, ticket: 0 },
  ]);
  // Release the last call's admissions as the reconciler would (keeping all but u449).
  const last = results[449]!.call!;
  const keep = results.flatMap((r, i) => (r.call === last && i !== 449 ? [`u${i}`] : []));
  const released = await gate.releaseCall(big, last.id, 0, keep);
  t.match(released, { released: 1 }, 'u449 released');
  t.same(told([await gate.admit(big, 'late')]), [{ code: GateCode.ADMITTED, ticket: 451 }], 'a released ticket is never reused');
  t.match(await gate.counts(big), { admitted: 450 });
});

t.test('Redis-list mode: every admission of a batch is queued in the same step, in order', async (t) => {
  const queue = redisQueueKeys(uniqueName('gate-test')).pending;
  t.teardown(() => redis.del(queue));
  const gate = await newGate(redis, { queueKey: queue });
  const couponId = await openCoupon(gate, 2);
  const results = await Promise.all(['q1', 'q2', 'q1', 'q3'].map((user) => gate.admit(couponId, user)));
  const now = results[0]!.call!.admittedAt;
  t.ok(Math.abs(now - Date.now()) < 5000, "admittedAt is Redis's clock at admission");
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
  const gate = await newGate();
  const results = await Promise.all(['m1', 'm2'].map((user) => gate.admit(2_000_000_000, user)));
  t.same(told(results), [
    { code: GateCode.MISSING, ticket: 0 },
    { code: GateCode.MISSING, ticket: 0 },
  ]);
});

t.test('a call that gets no answer, and whose outcome cannot be asked, is answered UNAVAILABLE for every request', async (t) => {
  // A real client whose connection was closed: every call fails at once, the outcome
  // question too, so the call is left to the background release (which admits nobody here).
  const broken = new Redis(config.redis.url, { enableOfflineQueue: false });
  await once(broken, 'ready');
  broken.disconnect();
  const gate = await newGate(broken);
  const results = await Promise.all(['f1', 'f2'].map((user) => gate.admit(1, user)));
  t.same(
    results.map((r) => r.code),
    [GateCode.UNAVAILABLE, GateCode.UNAVAILABLE],
  );
  t.equal(gate.unresolvedCount, 1, 'the call waits for its release');
});
