/**
 * The input rules of the API on their own (the HTTP tests check the same codes end to end):
 * ids, and a coupon body with every bad field reported at once.
 */
import t, { type Test } from 'tap';
import { AppError } from '../../src/errors.js';
import { parseCouponId, parseNewCoupon, parseUserId } from '../../src/http/validate.js';

/** The error a call throws (fails the test when it does not throw an AppError). */
function thrown(t: Test, run: () => unknown): AppError {
  try {
    run();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  t.fail('expected an AppError');
  return new AppError('INTERNAL', 'did not throw');
}

/** field -> message of each field error of a rejected coupon body. */
function fieldErrors(t: Test, body: Record<string, unknown>): Record<string, string> {
  const err = thrown(t, () => parseNewCoupon(body));
  t.equal(err.code, 'VALIDATION_FAILED');
  t.equal(err.status, 400);
  return Object.fromEntries((err.fields ?? []).map((f) => [f.field, f.message]));
}

const valid = { name: ' Black Friday ', discountType: 'PERCENT', discountValue: 15.5, totalQuantity: 100 };

t.test('coupon ids: positive integers up to 2^53 - 1', async (t) => {
  t.equal(parseCouponId('1'), 1);
  t.equal(parseCouponId('9007199254740991'), 2 ** 53 - 1);
  for (const raw of ['0', '-1', '01', '1.0', '1e3', 'abc', '', ' 1', '9007199254740992', '12345678901234567']) {
    t.equal(thrown(t, () => parseCouponId(raw)).code, 'INVALID_COUPON_ID', JSON.stringify(raw));
  }
});

t.test('user ids: 1-64 characters of A-Z a-z 0-9 _ . : @ -', async (t) => {
  t.equal(parseUserId('a'), 'a');
  t.equal(parseUserId('User_1.x:y@z-9'), 'User_1.x:y@z-9');
  t.equal(parseUserId('u'.repeat(64)), 'u'.repeat(64));
  for (const raw of ['', 'u'.repeat(65), 'a b', 'ünï', 'a/b', 42, null, undefined, ['a']]) {
    t.equal(thrown(t, () => parseUserId(raw)).code, 'INVALID_USER_ID', JSON.stringify(raw));
  }
});

t.test('a valid coupon: name trimmed, optional fields null', async (t) => {
  t.same(parseNewCoupon(valid), { name: 'Black Friday', discountType: 'PERCENT', discountValue: 15.5, totalQuantity: 100, minOrderAmount: null, startsAt: null, expiresAt: null });
  const full = parseNewCoupon({ ...valid, discountType: 'FIXED', discountValue: 250, minOrderAmount: 0, startsAt: '2026-11-23T10:00:00+09:00', expiresAt: '2026-11-23T02:00:00.5Z' });
  t.equal(full.minOrderAmount, 0);
  t.equal(full.startsAt?.toISOString(), '2026-11-23T01:00:00.000Z', 'the offset is applied');
  t.equal(full.expiresAt?.toISOString(), '2026-11-23T02:00:00.500Z');
});

t.test('every bad field is reported at once, unknown fields included', async (t) => {
  const errors = fieldErrors(t, { name: '   ', discountType: 'HALF', discountValue: -1, totalQuantity: 1.5, minOrderAmount: 'ten', startsAt: 'tomorrow', extra: true, other: 1 });
  t.same(Object.keys(errors).sort(), ['discountType', 'discountValue', 'extra', 'minOrderAmount', 'name', 'other', 'startsAt', 'totalQuantity']);
  t.equal(errors['extra'], 'unknown field');
});

t.test('an empty body names every required field', async (t) => {
  t.same(Object.keys(fieldErrors(t, {})).sort(), ['discountType', 'discountValue', 'name', 'totalQuantity']);
});

t.test('amounts: positive, at most 2 decimals; a PERCENT discount at most 100', async (t) => {
  t.match(fieldErrors(t, { ...valid, discountValue: 100.01 }), { discountValue: /at most 100/ });
  t.equal(parseNewCoupon({ ...valid, discountValue: 100 }).discountValue, 100);
  t.equal(parseNewCoupon({ ...valid, discountType: 'FIXED', discountValue: 5000 }).discountValue, 5000, 'FIXED has no 100 cap');
  for (const discountValue of [0, 1.005, Number.NaN, '5', 10_000_000_000]) {
    t.same(Object.keys(fieldErrors(t, { ...valid, discountType: 'FIXED', discountValue })), ['discountValue'], String(discountValue));
  }
  t.same(Object.keys(fieldErrors(t, { ...valid, minOrderAmount: -0.01 })), ['minOrderAmount']);
});

t.test('quantity: an integer from 1 to 10,000,000', async (t) => {
  t.equal(parseNewCoupon({ ...valid, totalQuantity: 10_000_000 }).totalQuantity, 10_000_000);
  for (const totalQuantity of [0, -1, 2.5, 10_000_001, '5']) {
    t.same(Object.keys(fieldErrors(t, { ...valid, totalQuantity })), ['totalQuantity'], String(totalQuantity));
  }
});

t.test('dates: ISO-8601 with a time zone, and the end after the start', async (t) => {
  for (const startsAt of ['2026-11-23', '2026-11-23T10:00:00', '2026-13-45T10:00:00Z', 'tomorrow', 1_700_000_000_000]) {
    t.same(Object.keys(fieldErrors(t, { ...valid, startsAt })), ['startsAt'], String(startsAt));
  }
  const same = '2026-11-23T10:00:00Z';
  t.match(fieldErrors(t, { ...valid, startsAt: same, expiresAt: same }), { expiresAt: 'must be after startsAt' });
  t.match(fieldErrors(t, { ...valid, startsAt: '2026-11-23T10:00:00Z', expiresAt: '2026-11-23T18:00:00+09:00' }), { expiresAt: 'must be after startsAt' }, 'compared as instants, not as text');
  t.ok(parseNewCoupon({ ...valid, expiresAt: same }).expiresAt, 'an end without a start is fine');
});
