/**
 * The reconciler against a private Redis that really stalls: it must never settle a call of
 * its own front door that is still waiting for its answer. Such a call's marker is already
 * in Redis; its users may be about to get 202.
 */
import t from 'tap';
import pino from 'pino';
import { RedisClock } from '../../src/gate/clock.js';
import { GateCode } from '../../src/gate/codes.js';
import { Gate } from '../../src/gate/gate.js';
import { couponKeys } from '../../src/gate/keys.js';
import { Reconciler } from '../../src/gate/reconciler.js';
import { createRedis } from '../../src/redis/client.js';
import { uniqueName } from '../helpers/env.js';
import { startPrivateRedis } from '../helpers/redis-server.js';

const log = pino({ level: 'silent' });

t.test('a call whose answer is late is not settled by its own front door\'s reconciler', async (t) => {
  const server = await startPrivateRedis(16424);
  t.teardown(() => server.stop());
  // The caller gives up after 200 ms; the call may run for 1 s (its deadline).
  const redis = createRedis({ url: server.url, autoPipelining: false, commandTimeoutMs: 200 }, log, 'gate');
  await redis.connect();
  t.teardown(() => redis.disconnect());
  const clock = new RedisClock(redis);
  await clock.start();
  const instanceId = uniqueName('front-door');
  const gate = new Gate(redis, { findCoupon: async () => undefined, loadHolders: async () => ({ holders: [], maxTicket: 0 }) }, { instanceId, clock, admitBudgetMs: 1000, queueKey: undefined, log });
  t.teardown(() => {
    gate.stop();
    clock.stop();
  });
  const couponId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
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
  const reconciler = new Reconciler(gate, redis, 'kafka', { queueCaughtUp: () => queueCaughtUp, storedUsers: async () => new Set() }, log);
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
