/** Latencies by answer class: percentiles of 202s and 409s, and the log-scale histogram buckets. */
import t from 'tap';
import { bucketEdges, byClass, classOf, classPercentiles, histogram, percentile } from '../../bench/latency.js';

t.test('answers are accepted (202), refused (409) or other', async (t) => {
  t.same([202, 409, 503, 404, 200].map(classOf), ['accepted', 'refused', 'other', 'other', 'other']);
});

t.test('percentiles per class, nearest rank, null for a class without answers', async (t) => {
  // 100 refusals of 1..100 ms and 10 admissions of 10..100 ms, interleaved.
  const latencies: number[] = [];
  const statuses: number[] = [];
  for (let i = 1; i <= 100; i++) {
    latencies.push(i);
    statuses.push(409);
    if (i % 10 === 0) {
      latencies.push(i + 0.123);
      statuses.push(202);
    }
  }
  const sorted = byClass(latencies, statuses);
  t.equal(sorted.accepted.length, 10);
  t.equal(sorted.refused.length, 100);
  t.equal(sorted.other.length, 0);
  t.same(classPercentiles(sorted), {
    p50AcceptedMs: 50.12,
    p95AcceptedMs: 100.12,
    p99AcceptedMs: 100.12,
    p50RefusedMs: 50,
    p95RefusedMs: 95,
    p99RefusedMs: 99,
  });
  t.same(classPercentiles(byClass([3], [409])), { p50AcceptedMs: null, p95AcceptedMs: null, p99AcceptedMs: null, p50RefusedMs: 3, p95RefusedMs: 3, p99RefusedMs: 3 });
  t.equal(percentile([], 50), null);
});

t.test('bucket edges: six per decade on round numbers, from at or below the fastest to above the slowest', async (t) => {
  t.same(bucketEdges(0.8, 12), [0.7, 1, 1.5, 2, 3, 5, 7, 10, 15]);
  t.same(bucketEdges(1, 1), [1, 1.5], 'one value still makes one bucket');
  t.same(bucketEdges(0.01, 0.12), [0.1, 0.15], 'nothing below 0.1 ms');
  t.same(bucketEdges(2500, 9999), [2000, 3000, 5000, 7000, 10000]);
  const wide = bucketEdges(0.1, 10_000);
  t.equal(wide[0], 0.1);
  t.equal(wide.at(-1), 15000);
  t.equal(wide.length, 5 * 6 + 2, 'five decades of six, plus 10 s and the edge above it');
  for (let i = 1; i < wide.length; i++) t.ok((wide[i] as number) > (wide[i - 1] as number), `edge ${i} ascends`);
});

t.test('the histogram counts every answer once, in its bucket and class', async (t) => {
  const hist = histogram(byClass([0.05, 1, 1.4, 1.5, 7, 7, 30, 2.2], [409, 409, 409, 409, 202, 202, 202, 503]));
  t.same(hist.edgesMs, [0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50]);
  const at = (ms: number): number => hist.edgesMs.indexOf(ms);
  const refused = hist.counts.refused as readonly number[];
  t.equal(refused[0], 1, '0.05 ms falls in the first bucket');
  t.equal(refused[at(1)], 2, '1 and 1.4 ms in [1, 1.5)');
  t.equal(refused[at(1.5)], 1, '1.5 ms starts the next bucket');
  const accepted = hist.counts.accepted as readonly number[];
  t.equal(accepted[at(7)], 2);
  t.equal(accepted[at(30)], 1, 'the slowest answer is in the last bucket');
  t.equal((hist.counts.other as readonly number[])[at(2)], 1);
  for (const counts of Object.values(hist.counts)) t.equal(counts.length, hist.edgesMs.length - 1);
  t.same(histogram(byClass([], [])), { edgesMs: [], counts: {} });
  t.notOk('other' in histogram(byClass([1], [202])).counts, 'classes without answers are left out');
});
