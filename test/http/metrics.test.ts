/** GET /metrics moves with the traffic: requests by route and status, admission outcomes, hand-off. */
import t from 'tap';
import { createCoupon, issue, request, startTestService } from '../helpers/service.js';

const svc = await startTestService({ ROLE: 'api' });
t.teardown(() => svc.stop());

function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && labels.split(',').every((pair) => l.includes(pair)));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

t.test('counters and histograms move as requests are served', async (t) => {
  const metrics = async (): Promise<string> => (await request(`${svc.url}/metrics`)).body['raw'] as string;
  const before = await metrics();
  const couponId = await createCoupon(svc, { totalQuantity: 2 });
  await Promise.all(['m1', 'm2', 'm3'].map((user) => issue(svc, couponId, user)));
  await issue(svc, couponId, 'm1');
  const after = await metrics();
  const delta = (name: string, labels: string): number => sample(after, name, labels) - sample(before, name, labels);
  t.equal(delta('flash_coupon_admissions_total', 'outcome="ADMITTED"'), 2);
  t.equal(delta('flash_coupon_admissions_total', 'outcome="SOLD_OUT"'), 1);
  t.equal(delta('flash_coupon_admissions_total', 'outcome="ALREADY_ISSUED"'), 1);
  t.equal(delta('flash_coupon_http_requests_total', 'route="/api/coupons/:couponId/issue",status="202"'), 2);
  t.equal(delta('flash_coupon_http_requests_total', 'route="/api/coupons/:couponId/issue",status="409"'), 2);
  t.equal(delta('flash_coupon_handoff_seconds_count', ''), 2, 'two hand-offs timed');
  t.ok(delta('flash_coupon_producer_batch_messages_sum', '') >= 2, 'batched messages counted');
  t.match(after, /nodejs_eventloop_lag_seconds/, 'event-loop delay');
  t.match(after, /process_resident_memory_bytes/, 'process metrics');
});
