/** S3's coupons: Zipf-like popularity, one coupon per user, and the lists each connection sends. */
import t from 'tap';
import { DEFAULT_WARMUP } from '../../bench/options.js';
import { clientRequests, couponDemand, couponIndexOf, expectedAdmissions, popularity, SCENARIOS, userIdOf, warmUpScenario, type Scenario } from '../../bench/scenarios.js';

const s3 = SCENARIOS.s3;

t.test('S3: 200 coupons of 500, 2,000,000 requests from 200,000 users; --quick is small', async (t) => {
  t.has(s3, { coupons: 200, stock: 500, requests: 2_000_000, users: 200_000, zipf: 1 });
  t.ok(s3.quick.requests <= 20_000, 'quick fits a shared 2-core machine');
  t.equal(SCENARIOS.s1.coupons, 1);
  t.equal(SCENARIOS.s2.coupons, 1);
});

t.test('popularity: cumulative shares of 1/k', async (t) => {
  const shares = popularity(4, 1);
  const h = 1 + 1 / 2 + 1 / 3 + 1 / 4;
  t.same([...shares].map((v) => Math.round(v * 1e6) / 1e6), [1 / h, 1.5 / h, (1.5 + 1 / 3) / h, 1].map((v) => Math.round(v * 1e6) / 1e6));
  t.same([...popularity(4, 0)], [0.25, 0.5, 0.75, 1], 'exponent 0: all alike');
});

t.test('each user wants one coupon, the most popular most often, with a long tail', async (t) => {
  const demand = couponDemand(s3);
  t.equal(demand.reduce((a, b) => a + b, 0), s3.users, 'every user asks for exactly one coupon');
  const h = Array.from({ length: 200 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
  for (const rank of [1, 2, 10, 50]) {
    const expected = s3.users / (rank * h);
    const got = demand[rank - 1] as number;
    t.ok(Math.abs(got - expected) < 4 * Math.sqrt(expected) + 5, `rank ${rank}: ${got} users, Zipf expects ${expected.toFixed(0)}`);
  }
  t.ok(demand.every((users) => users > 0), 'every coupon has someone asking');
  t.ok((demand[0] as number) > 100 * (demand[199] as number), 'the head is far above the tail (1/k: 200 times)');
  const admissions = expectedAdmissions(s3);
  t.ok(admissions > 60_000 && admissions < 80_000, `popular coupons sell out, the tail does not (${admissions} of 100,000)`);
  t.equal(expectedAdmissions(SCENARIOS.s1), 500);
  t.equal(expectedAdmissions({ ...SCENARIOS.s1, requests: 300 }), 300, 'fewer requests than the stock');
});

t.test('a user\'s repeated requests go to the same coupon, and the choice does not follow user order', async (t) => {
  for (const i of [0, 1, 12345, 199_999]) {
    t.equal(couponIndexOf(s3, i + s3.users), couponIndexOf(s3, i), `request ${i} and its repeat`);
    t.equal(userIdOf(s3, i + s3.users), userIdOf(s3, i));
  }
  const first = Array.from({ length: 1000 }, (_, i) => couponIndexOf(s3, i));
  t.ok(new Set(first).size > 100, 'the first thousand users already ask for many coupons');
  t.equal(couponIndexOf(SCENARIOS.s2, 777), 0, 'one coupon: always the first');
});

t.test('the connections together send each request of S3 quick once, with its user and coupon', async (t) => {
  const small: Scenario = { ...s3, ...s3.quick };
  const connections = 64;
  const sent: string[] = [];
  for (let c = 0; c < connections; c++) {
    const list = clientRequests(small, connections, c);
    const count = Math.floor(small.requests / connections) + (c < small.requests % connections ? 1 : 0);
    for (let m = 0; m < count; m++) {
      const i = list[m % list.length] as number;
      sent.push(`${userIdOf(small, i)}>${couponIndexOf(small, i)}`);
    }
  }
  const expected = Array.from({ length: small.requests }, (_, i) => `${userIdOf(small, i)}>${couponIndexOf(small, i)}`);
  t.same(sent.sort(), expected.sort());
});

t.test("the warm-up is the bench's: 2,000 requests from distinct users for a tenth of that stock", async (t) => {
  const warm = warmUpScenario(SCENARIOS.s2, DEFAULT_WARMUP);
  t.same([warm.requests, warm.users, warm.stock, warm.coupons], [2000, 2000, 200, 1]);
});
