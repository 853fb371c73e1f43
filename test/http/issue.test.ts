/** The issue endpoint's every answer (SPEC section 3), against the real Redis, Kafka and MariaDB. */
import t from 'tap';
import { createCoupon, issue, postJson, request, startTestService } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api' });
t.teardown(() => svc.stop());

t.test('202 with a ticket, then 409 ALREADY_ISSUED for the same user', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 3 });
  const first = await issue(svc, couponId, 'alice');
  t.equal(first.status, 202);
  t.match(first.body, { status: 'ACCEPTED', ticket: 1, couponId, userId: 'alice' });
  const again = await issue(svc, couponId, 'alice');
  t.equal(again.status, 409);
  t.equal((again.body['error'] as { code: string }).code, 'ALREADY_ISSUED');
  const pending = await request(`${svc.url}/api/coupons/${couponId}/issue/alice`);
  t.equal(pending.status, 200);
  t.match(pending.body, { status: 'PENDING', ticket: 1 }, 'admitted, not yet stored (no consumer in this role)');
});

t.test('/issue/queue is an alias of /issue', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 3 });
  const response = await postJson(`${svc.url}/api/coupons/${couponId}/issue/queue`, { userId: 'bob' });
  t.equal(response.status, 202);
  t.match(response.body, { status: 'ACCEPTED', ticket: 1 });
});

t.test('409 SOLD_OUT once the stock is admitted', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 2 });
  t.equal((await issue(svc, couponId, 'u1')).status, 202);
  t.equal((await issue(svc, couponId, 'u2')).status, 202);
  const third = await issue(svc, couponId, 'u3');
  t.equal(third.status, 409);
  t.equal((third.body['error'] as { code: string }).code, 'SOLD_OUT');
  const winnerAgain = await issue(svc, couponId, 'u1');
  t.equal((winnerAgain.body['error'] as { code: string }).code, 'ALREADY_ISSUED', 'a winner asking again is told they have it');
  const coupon = await request(`${svc.url}/api/coupons/${couponId}`);
  t.match(coupon.body, { totalQuantity: 2, admitted: 2, remaining: 0 });
  t.same(coupon.body['answers'], { ADMITTED: 2, ALREADY_ISSUED: 1, SOLD_OUT: 1, NOT_STARTED: 0, EXPIRED: 0 }, 'the gate counts every answer');
});

t.test('403 NOT_STARTED and EXPIRED outside the sale window', async (t) => {
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  const later = new Date(Date.now() + 7_200_000).toISOString();
  const future = await createCoupon(svc, { totalQuantity: 5, startsAt: soon, expiresAt: later });
  const notStarted = await issue(svc, future, 'carol');
  t.equal(notStarted.status, 403);
  t.equal((notStarted.body['error'] as { code: string }).code, 'NOT_STARTED');

  const past = await createCoupon(svc, { totalQuantity: 5, startsAt: new Date(Date.now() - 7_200_000).toISOString(), expiresAt: new Date(Date.now() - 3_600_000).toISOString() });
  const expired = await issue(svc, past, 'carol');
  t.equal(expired.status, 403);
  t.equal((expired.body['error'] as { code: string }).code, 'EXPIRED');
});

t.test('404 COUPON_NOT_FOUND and ISSUE_NOT_FOUND', async (t) => {
  const missing = await issue(svc, 987654321987, 'dave');
  t.equal(missing.status, 404);
  t.equal((missing.body['error'] as { code: string }).code, 'COUPON_NOT_FOUND');
  const couponId = await createCoupon(svc, { totalQuantity: 1 });
  const none = await request(`${svc.url}/api/coupons/${couponId}/issue/nobody`);
  t.equal(none.status, 404);
  t.equal((none.body['error'] as { code: string }).code, 'ISSUE_NOT_FOUND');
});

t.test('2,000 users at once for a stock of 100: exactly 100 admitted, tickets 1..100', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 100 });
  const responses = await Promise.all(Array.from({ length: 2000 }, (_, i) => issue(svc, couponId, `crowd-${i}`)));
  const admitted = responses.filter((r) => r.status === 202);
  const soldOut = responses.filter((r) => r.status === 409 && (r.body['error'] as { code: string }).code === 'SOLD_OUT');
  const answers: Record<string, number> = {};
  for (const r of responses) {
    const key = `${r.status} ${(r.body['error'] as { code?: string } | undefined)?.code ?? ''}`;
    answers[key] = (answers[key] ?? 0) + 1;
  }
  t.equal(admitted.length, 100, JSON.stringify(answers));
  t.equal(soldOut.length, 1900, JSON.stringify(answers));
  const tickets = admitted.map((r) => r.body['ticket'] as number).sort((a, b) => a - b);
  t.same(tickets, Array.from({ length: 100 }, (_, i) => i + 1));
});

t.test('the same user firing 50 requests at once is admitted once', async (t) => {
  const couponId = await createCoupon(svc, { totalQuantity: 10 });
  const responses = await Promise.all(Array.from({ length: 50 }, () => issue(svc, couponId, 'eager')));
  t.equal(responses.filter((r) => r.status === 202).length, 1);
  t.equal(responses.filter((r) => r.status === 409 && (r.body['error'] as { code: string }).code === 'ALREADY_ISSUED').length, 49);
});
