/**
 * The reconciler against a private Redis that really stalls: it must never settle a call of
 * its own front door that is still waiting for its answer. Such a call's marker is already
 * in Redis; its users may be about to get 202.
 */
import t, { type Test } from 'tap';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { RedisClock } from '../../src/gate/clock.js';
import { GateCode } from '../../src/gate/codes.js';
import { Gate } from '../../src/gate/gate.js';
import { couponKeys } from '../../src/gate/keys.js';
import { deploymentKeys, FrontDoorPresence } from '../../src/gate/instances.js';
import { Reconciler } from '../../src/gate/reconciler.js';
import { createRedis } from '../../src/redis/client.js';
import { uniqueName } from '../helpers/env.js';
import { startPrivateRedis, type PrivateRedis } from '../helpers/redis-server.js';

const log = pino({ level: 'silent' });
/** The gate needs no MySQL here: coupons are opened directly. */
const source = {
  findCoupon: async () => undefined,
  holderPage: async () => [],
  storedCounts: async () => ({ rows: 0, maxTicket: 0 }),
  queueCaughtUp: async () => true,
};
const noRows = { storedCounts: async () => ({ rows: 0, maxTicket: 0 }) };

/** A front door's presence in the deployment of `topic` (not started unless the test beats it). */
const presenceIn = (redis: Redis, clock: RedisClock, topic: string, id = uniqueName('front-door')): FrontDoorPresence => new FrontDoorPresence(redis, clock, id, deploymentKeys(topic));

/** A private redis-server, the gate's fail-fast client on it and Redis's clock; all closed after the test. */
async function privateGateRedis(t: Test, port: number, commandTimeoutMs: number): Promise<{ server: PrivateRedis; redis: Redis; clock: RedisClock }> {
  const server = await startPrivateRedis(port);
  t.teardown(() => server.stop());
  const redis = createRedis({ url: server.url, cluster: undefined, autoPipelining: false, commandTimeoutMs, waitReplicas: 0 }, log, 'gate') as Redis;
  await redis.connect();
  t.teardown(() => redis.disconnect());
  const clock = new RedisClock(redis);
  await clock.start();
  t.teardown(() => clock.stop());
  return { server, redis, clock };
}

/** A coupon id no other test uses (the private Redis is empty, so any unused id will do). */
const someCouponId = (): number => 900_000_000 + Math.floor(Math.random() * 1_000_000);

t.test('a call whose answer is late is not settled by its own front door\'s reconciler', async (t) => {
  // The caller gives up after 200 ms; the call may run for 1 s (its deadline).
  const { server, redis, clock } = await privateGateRedis(t, 16424, 200);
  const presence = presenceIn(redis, clock, uniqueName('topic'));
  const gate = new Gate(redis, source, { instanceId: presence.instanceId, clock, presence, rebuildingKey: presence.keys.rebuilding, admitBudgetMs: 1000, queueKey: undefined, log });
  t.teardown(() => gate.stop());
  const couponId = someCouponId();
  await gate.open({ couponId, totalQuantity: 1, startsAt: null, expiresAt: null } as Parameters<Gate['open']>[0]);

  // Redis stalls with the call in its socket; the caller times out; Redis then runs the call
  // within its deadline: the user is admitted and the marker written, the answer lost.
  server.freeze();
  const admitted = gate.admit(couponId, 'u1');
  await new Promise((resolve) => setTimeout(resolve, 300));
  server.thaw();
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(Object.keys(await gate.markers(couponId)).length, 1, 'the call ran: its marker is in Redis');

  // The reconciler sees the marker while the caller still waits for the deadline to ask about
  // it; the queue catches up only after the caller resolved it and began the hand-off.
  let caughtUp!: () => void;
  const queueCaughtUp = new Promise<boolean>((resolve) => (caughtUp = () => resolve(true)));
  const reconciler = new Reconciler(gate, redis, presence, 'kafka', presence.keys.handoffCoupons, { queueCaughtUp: () => queueCaughtUp, storedUsers: async () => new Set(), ...noRows }, log);
  const round = reconciler.reconcileCoupon(couponId);
  const result = await admitted;
  t.equal(result.code, GateCode.ADMITTED, 'the caller learns from the marker that its user was admitted');
  caughtUp();
  const reports = await round;
  t.same(reports.map((r) => r.released), [0], 'the reconciler released nothing');
  t.equal(await gate.ticketOf(couponId, 'u1'), result.ticket, 'the user being handed off keeps the admission');
  t.equal((await gate.admit(couponId, 'u2')).code, GateCode.SOLD_OUT, 'the slot is not sold again');
  await redis.del(...Object.values(couponKeys(couponId)));
});

t.test('a reconciler settles only its own deployment\'s markers, not those of another sharing the Redis', async (t) => {
  const { redis, clock } = await privateGateRedis(t, 16430, 1000);
  // Deployment A: a front door admits, then is gone (its presence key never refreshed again).
  const topicA = uniqueName('topic-a');
  const presenceA = presenceIn(redis, clock, topicA, uniqueName('front-door-a'));
  await presenceA.start();
  t.teardown(() => presenceA.stop());
  const gateA = new Gate(redis, source, {
    instanceId: presenceA.instanceId,
    clock,
    presence: presenceA,
    rebuildingKey: presenceA.keys.rebuilding,
    admitBudgetMs: 10,
    queueKey: undefined,
    log,
    onAdmitted: (id) => presenceA.admittedTo(id),
  });
  t.teardown(() => gateA.stop());
  const couponId = someCouponId();
  await gateA.open({ couponId, totalQuantity: 5, startsAt: null, expiresAt: null } as Parameters<Gate['open']>[0]);
  t.equal((await gateA.admit(couponId, 'a1')).code, GateCode.ADMITTED);
  await new Promise((resolve) => setTimeout(resolve, 50));
  // Deployment B on the same Redis, its own queue caught up and nothing stored in it.
  const presenceB = presenceIn(redis, clock, uniqueName('topic-b'));
  const gateB = new Gate(redis, source, { instanceId: presenceB.instanceId, clock, presence: presenceB, rebuildingKey: presenceB.keys.rebuilding, admitBudgetMs: 10, queueKey: undefined, log });
  t.teardown(() => gateB.stop());
  const sources = { queueCaughtUp: async () => true, storedUsers: async () => new Set<string>(), ...noRows };
  const reconcilerB = new Reconciler(gateB, redis, presenceB, 'kafka', presenceB.keys.handoffCoupons, sources, log);
  t.same(await reconcilerB.runOnce(), [], 'B sees no coupon of A');
  t.equal(await gateA.ticketOf(couponId, 'a1'), 1, 'A\'s admission stays (its message may be in A\'s topic)');
  // A's own reconciler finds it (and leaves it: the front door is alive).
  const reconcilerA = new Reconciler(gateA, redis, presenceA, 'kafka', presenceA.keys.handoffCoupons, sources, log);
  t.match(await reconcilerA.runOnce(), [{ users: 1, action: 'left (front door alive)' }], 'A\'s register lists the coupon');
  await redis.del(...Object.values(couponKeys(couponId)));
});
