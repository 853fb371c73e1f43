/**
 * The gate's batcher on its own, with a recording decide function in place of Redis (the
 * gate tests run it on the real Redis): what goes into one call, calls that overlap, and
 * each caller settling with its own answer.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { AdmitBatcher, type AdmitRequest } from '../../src/gate/admit-batcher.js';
import { GateCode, type GateResult } from '../../src/gate/codes.js';

function recorder(delayMs = 0) {
  const calls: { couponId: number; users: string[] }[] = [];
  const sizes: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const decide = async (couponId: number, requests: AdmitRequest[]): Promise<GateResult[]> => {
    calls.push({ couponId, users: requests.map((r) => r.userId) });
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await sleep(delayMs);
    inFlight--;
    if (requests.some((r) => r.userId === 'boom')) throw new Error('Redis refused the call');
    return requests.map((_, i) => ({ code: GateCode.ADMITTED, ticket: i + 1 }));
  };
  return { calls, sizes, decide, onBatch: (size: number) => sizes.push(size), maxInFlight: () => maxInFlight };
}

t.test("one event-loop turn's requests for a coupon are one call, each caller gets its own answer", async (t) => {
  const r = recorder();
  const batcher = new AdmitBatcher(r.decide, r.onBatch);
  const answers = Promise.all(['a', 'b', 'c'].map((user) => batcher.admit(7, user)));
  t.same(r.calls, [], 'nothing is sent while the turn is still running');
  t.same((await answers).map((a) => a.ticket), [1, 2, 3]);
  t.same(r.calls, [{ couponId: 7, users: ['a', 'b', 'c'] }]);
  t.same(r.sizes, [3], 'the batch size is reported');
});

t.test('coupons are decided in separate calls', async (t) => {
  const r = recorder();
  const batcher = new AdmitBatcher(r.decide, r.onBatch);
  await Promise.all([batcher.admit(1, 'a'), batcher.admit(2, 'b'), batcher.admit(1, 'c')]);
  t.same(r.calls, [
    { couponId: 1, users: ['a', 'c'] },
    { couponId: 2, users: ['b'] },
  ]);
});

t.test('a later turn does not wait for the call in flight: calls overlap, each keeps its order', async (t) => {
  const r = recorder(30);
  const batcher = new AdmitBatcher(r.decide, r.onBatch);
  const first = batcher.admit(1, 'a');
  await sleep(5); // the call for 'a' is on its way
  const later = ['b', 'c'].map((user) => batcher.admit(1, user));
  const answers = await Promise.all([first, ...later]);
  t.same(r.calls, [
    { couponId: 1, users: ['a'] },
    { couponId: 1, users: ['b', 'c'] },
  ]);
  t.equal(r.maxInFlight(), 2, 'the second call went while the first was in flight (Redis runs them in the order sent)');
  t.same(answers.map((a) => a.ticket), [1, 1, 2], 'each caller has the answer of its own call');
});

t.test('a call carries at most maxItems requests; the rest follow in order', async (t) => {
  const r = recorder();
  const batcher = new AdmitBatcher(r.decide, r.onBatch, 2);
  await Promise.all(['a', 'b', 'c', 'd', 'e'].map((user) => batcher.admit(1, user)));
  t.same(
    r.calls.map((c) => c.users),
    [['a', 'b'], ['c', 'd'], ['e']],
  );
});

t.test('a failed call rejects its own requests only', async (t) => {
  const r = recorder(10);
  const batcher = new AdmitBatcher(r.decide, r.onBatch);
  const failing = ['a', 'boom'].map((user) => batcher.admit(1, user));
  await sleep(2);
  const next = batcher.admit(1, 'c');
  const settled = await Promise.allSettled([...failing, next]);
  t.same(
    settled.map((s) => s.status),
    ['rejected', 'rejected', 'fulfilled'],
  );
});
