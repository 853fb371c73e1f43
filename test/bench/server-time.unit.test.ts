/** The service's own time per answer, read from two scrapes of GET /metrics. */
import t from 'tap';
import { histogramDelta, histogramQuantile, parseIssueHistograms, serverTime } from '../../bench/server-time.js';

const ROUTE = '/api/coupons/:couponId/issue';

/** A /metrics text holding one histogram per status, from cumulative counts per bound. */
function scrape(statuses: Record<string, { buckets: [string, number][]; sum: number }>, route = ROUTE): string {
  const lines = ['# HELP flash_coupon_http_request_seconds ...', '# TYPE flash_coupon_http_request_seconds histogram'];
  for (const [status, h] of Object.entries(statuses)) {
    for (const [le, count] of h.buckets) lines.push(`flash_coupon_http_request_seconds_bucket{le="${le}",route="${route}",status="${status}"} ${count}`);
    const count = h.buckets.at(-1)?.[1] ?? 0;
    lines.push(`flash_coupon_http_request_seconds_sum{route="${route}",status="${status}"} ${h.sum}`);
    lines.push(`flash_coupon_http_request_seconds_count{route="${route}",status="${status}"} ${count}`);
  }
  lines.push('flash_coupon_http_requests_total{route="/x",method="GET",status="200"} 3');
  return lines.join('\n');
}

t.test('quantiles interpolate inside their bucket, as histogram_quantile does', async (t) => {
  const h = { buckets: new Map([[0.001, 0], [0.005, 50], [0.01, 100], [Infinity, 100]]), sum: 0.5, count: 100 };
  t.equal(histogramQuantile(h, 0.5), 0.005, 'the 50th of 100 ends the second bucket');
  t.equal(histogramQuantile(h, 0.25), 0.003, 'half-way through 1-5 ms');
  t.equal(Math.round((histogramQuantile(h, 0.99) as number) * 1e9) / 1e9, 0.0099, '49 of the 50 through 5-10 ms');
  t.equal(histogramQuantile({ buckets: new Map(), sum: 0, count: 0 }, 0.5), null, 'no observation, no quantile');
  const tail = { buckets: new Map([[0.001, 1], [Infinity, 2]]), sum: 9, count: 2 };
  t.equal(histogramQuantile(tail, 0.99), 0.001, 'past the last finite bound: that bound');
});

t.test('the issue route only, per status, front doors added up, warm-up subtracted', async (t) => {
  const warm = scrape({ '202': { buckets: [['0.001', 10], ['0.01', 20], ['+Inf', 20]], sum: 0.05 } });
  const frontDoor1 = scrape({
    '202': { buckets: [['0.001', 10], ['0.01', 70], ['+Inf', 70]], sum: 0.35 },
    '409': { buckets: [['0.001', 400], ['0.01', 400], ['+Inf', 400]], sum: 0.2 },
  });
  const frontDoor2 = scrape({ '409': { buckets: [['0.001', 100], ['0.01', 100], ['+Inf', 100]], sum: 0.05 } });
  const elsewhere = scrape({ '202': { buckets: [['0.001', 999], ['0.01', 999], ['+Inf', 999]], sum: 9 } }, '/api/coupons/:couponId/issue/queue');
  const before = parseIssueHistograms([warm]);
  const after = parseIssueHistograms([frontDoor1, frontDoor2, elsewhere]);
  t.equal(after.get('409')?.count, 500, 'both front doors counted');
  const time = serverTime(histogramDelta(before, after));
  t.equal(time.serviceMeanAcceptedMs, 6, '(0.35 - 0.05) s over 50 answers');
  t.equal(time.serviceP50AcceptedMs, 5.5, 'rank 25 of the 50 in the 1-10 ms bucket');
  t.equal(time.serviceMeanRefusedMs, 0.5);
  t.equal(time.serviceP99RefusedMs, 0.99);
});

t.test('a class without answers is null, not zero', async (t) => {
  const time = serverTime(parseIssueHistograms(['']));
  t.same(Object.values(time), [null, null, null, null, null, null]);
});
