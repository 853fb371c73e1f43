/**
 * The dashboard's snapshot builder with in-memory sources in place of MySQL, the gate and
 * the lag probe: rates from the answer totals between builds, bounded histories, coupon
 * states and pinned coupons.
 */
import t from 'tap';
import { HISTORY_POINTS, RECENT_COUPONS, SnapshotBuilder, type Answers, type SnapshotSources } from '../../src/dashboard/snapshot.js';
import type { GateCounts } from '../../src/gate/gate.js';
import type { LagReading } from '../../src/lag/probe.js';
import type { DashboardCoupon } from '../../src/store/dashboard.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);

function coupon(couponId: number, fields: Partial<DashboardCoupon> = {}): DashboardCoupon {
  return { couponId, name: `coupon ${couponId}`, totalQuantity: 100, issuedQuantity: 0, startsAt: null, expiresAt: null, ...fields };
}

function answers(admitted: number, others: Partial<Answers> = {}): Answers {
  return { ADMITTED: admitted, ALREADY_ISSUED: 0, SOLD_OUT: 0, NOT_STARTED: 0, EXPIRED: 0, ...others };
}

/** Sources whose content a test changes between builds; records what was asked. */
function sources() {
  const state = {
    coupons: [coupon(1)],
    gate: new Map<number, GateCounts>(),
    rejections: new Map<number, Record<string, number>>(),
    lag: { messages: 3, at: T0 } as LagReading,
    asked: [] as { pinned: readonly number[]; recent: number }[],
  };
  const fake: SnapshotSources = {
    queue: 'kafka',
    async coupons(pinned, recent) {
      state.asked.push({ pinned, recent });
      return state.coupons;
    },
    async rejections(ids) {
      return new Map([...state.rejections].filter(([id]) => ids.includes(id)));
    },
    gate: { counts: async (id) => state.gate.get(id) },
    lag: () => state.lag,
  };
  const setAnswers = (id: number, admitted: number, others: Partial<Answers> = {}): void => {
    state.gate.set(id, { total: 100, admitted, answers: answers(admitted, others) });
  };
  return { state, fake, setAnswers };
}

t.test('requests/s is the growth of the answer totals over the time between builds', async (t) => {
  const { fake, setAnswers } = sources();
  const builder = new SnapshotBuilder(fake);
  setAnswers(1, 10);
  const first = await builder.build([], T0);
  t.equal(first.coupons[0]?.requestsPerSecond, 0, 'no rate from a single reading');
  setAnswers(1, 20, { SOLD_OUT: 5, ALREADY_ISSUED: 3, NOT_STARTED: 1, EXPIRED: 1 });
  const second = await builder.build([], T0 + 2_000);
  t.equal(second.coupons[0]?.requestsPerSecond, 10, '(30 - 10) answers in 2 s');
  t.equal(second.requestsPerSecond, 10);
  t.same(second.coupons[0]?.history, [0, 10]);
  t.same(second.history, [0, 10]);
  setAnswers(1, 21);
  const third = await builder.build([], T0 + 5_000);
  t.equal(third.coupons[0]?.requestsPerSecond, 0, 'the total went down (gate rebuilt): no rate, not a negative one');
  setAnswers(1, 25);
  t.equal((await builder.build([], T0 + 6_000)).coupons[0]?.requestsPerSecond, 4, 'rates resume from the rebuilt total');
});

t.test('the overall rate sums the coupons shown, rounded to a tenth', async (t) => {
  const { state, fake, setAnswers } = sources();
  state.coupons = [coupon(2), coupon(1)];
  const builder = new SnapshotBuilder(fake);
  setAnswers(1, 0);
  setAnswers(2, 0);
  await builder.build([], T0);
  setAnswers(1, 1);
  setAnswers(2, 2);
  const snapshot = await builder.build([], T0 + 3_000);
  t.same(
    snapshot.coupons.map((c) => [c.couponId, c.requestsPerSecond]),
    [
      [2, 0.7],
      [1, 0.3],
    ],
  );
  t.equal(snapshot.requestsPerSecond, 1);
});

t.test(`histories keep the last ${HISTORY_POINTS} points`, async (t) => {
  const { fake, setAnswers } = sources();
  const builder = new SnapshotBuilder(fake);
  let snapshot;
  for (let i = 0; i <= HISTORY_POINTS + 5; i++) {
    setAnswers(1, i * i);
    snapshot = await builder.build([], T0 + i * 1_000);
  }
  const last = HISTORY_POINTS + 5;
  t.equal(snapshot?.history.length, HISTORY_POINTS);
  t.equal(snapshot?.coupons[0]?.history.length, HISTORY_POINTS);
  t.equal(snapshot?.history.at(-1), last * last - (last - 1) * (last - 1), 'the newest point last');
  t.equal(snapshot?.history[0], 6 * 6 - 5 * 5, 'the oldest points dropped');
});

t.test('reset forgets rates and histories', async (t) => {
  const { fake, setAnswers } = sources();
  const builder = new SnapshotBuilder(fake);
  setAnswers(1, 0);
  await builder.build([], T0);
  setAnswers(1, 50);
  await builder.build([], T0 + 1_000);
  builder.reset();
  setAnswers(1, 90);
  const snapshot = await builder.build([], T0 + 60_000);
  t.equal(snapshot.requestsPerSecond, 0);
  t.same(snapshot.history, [0]);
  t.same(snapshot.coupons[0]?.history, [0]);
});

t.test('a coupon the gate has no keys for shows nulls and keeps its last total', async (t) => {
  const { state, fake, setAnswers } = sources();
  const builder = new SnapshotBuilder(fake);
  setAnswers(1, 10);
  await builder.build([], T0);
  state.gate.clear();
  const gone = await builder.build([], T0 + 1_000);
  t.match(gone.coupons[0], { admitted: null, answers: null, requestsPerSecond: 0 });
  setAnswers(1, 15);
  t.equal((await builder.build([], T0 + 2_000)).coupons[0]?.requestsPerSecond, 5, 'measured against the total before the gap');
});

t.test('coupon state: expired, not started, sold out, open', async (t) => {
  const { state, fake, setAnswers } = sources();
  const past = new Date(T0 - 1_000);
  const future = new Date(T0 + 1_000);
  state.coupons = [
    coupon(1, { expiresAt: past, startsAt: future }),
    coupon(2, { startsAt: future }),
    coupon(3, { startsAt: past, expiresAt: future }),
    coupon(4),
    coupon(5, { issuedQuantity: 100 }),
    coupon(6, { expiresAt: new Date(T0) }),
    coupon(7, { startsAt: new Date(T0) }),
  ];
  setAnswers(3, 100); // the gate admitted the whole stock, not all stored yet
  setAnswers(4, 99);
  const snapshot = await new SnapshotBuilder(fake).build([], T0);
  t.same(
    snapshot.coupons.map((c) => [c.couponId, c.state]),
    [
      [1, 'expired'],
      [2, 'not started'],
      [3, 'sold out'],
      [4, 'open'],
      [5, 'sold out'],
      [6, 'expired'],
      [7, 'open'],
    ],
    'no gate keys: the stored rows decide sold out; an end at now has passed, a start at now has come',
  );
  t.equal(snapshot.coupons[1]?.startsAt, future.toISOString());
});

t.test('pinned coupons are asked for with the recent ones; rejections, stock, stored and lag shown', async (t) => {
  const { state, fake, setAnswers } = sources();
  state.coupons = [coupon(9, { totalQuantity: 5, issuedQuantity: 4, name: 'nine' }), coupon(3)];
  state.rejections.set(9, { SOLD_OUT: 2 });
  state.rejections.set(8, { SOLD_OUT: 7 });
  setAnswers(9, 5);
  const snapshot = await new SnapshotBuilder(fake).build([3], T0);
  t.same(state.asked, [{ pinned: [3], recent: RECENT_COUPONS }]);
  t.same(
    snapshot.coupons.map((c) => c.couponId),
    [9, 3],
    'in the order the store gives',
  );
  t.match(snapshot.coupons[0], { name: 'nine', stock: 5, stored: 4, admitted: 5, dbRejected: { SOLD_OUT: 2 } });
  t.same(snapshot.coupons[1]?.dbRejected, {});
  t.same(snapshot.lag, { messages: 3, at: T0 });
  t.equal(snapshot.queue, 'kafka');
  t.equal(snapshot.at, T0);
});
