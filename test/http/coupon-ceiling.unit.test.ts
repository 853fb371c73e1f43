/** The coupon-id ceiling: ids above the highest cost at most one MySQL read per second, together. */
import t from 'tap';
import { CouponCeiling } from '../../src/http/coupon-ceiling.js';

t.test('1,000 unknown high ids at once: one read, then 404 without reading', async (t) => {
  let reads = 0;
  const ceiling = new CouponCeiling(async () => {
    reads++;
    return 42;
  });
  await ceiling.load();
  t.equal(ceiling.check(42), undefined, 'an id at the ceiling goes on, synchronously');
  const answers = await Promise.allSettled(Array.from({ length: 1000 }, (_, i) => Promise.resolve().then(() => ceiling.check(1000 + i))));
  t.ok(answers.every((a) => a.status === 'rejected' && (a.reason as { code: string }).code === 'COUPON_NOT_FOUND'), 'all 404');
  t.equal(reads, 1, 'only the load at start: the ceiling was read less than a second ago');
  ceiling.raise(2000);
  t.equal(ceiling.check(1500), undefined, 'a coupon created here raises the ceiling at once');
});

t.test('a failed read lets the request go on (MySQL away is not "no such coupon")', async (t) => {
  let fail = false;
  let reads = 0;
  const ceiling = new CouponCeiling(async () => {
    reads++;
    if (fail) throw new Error('down');
    return 1;
  });
  await ceiling.load();
  fail = true;
  await new Promise((resolve) => setTimeout(resolve, 1050));
  await t.resolves(ceiling.check(5) as Promise<void>, 'goes on to the usual path');
  t.equal(reads, 2);
  t.throws(() => ceiling.check(6), { code: 'COUPON_NOT_FOUND' }, 'and no new read for a second');
});
