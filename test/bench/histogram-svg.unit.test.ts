/** The latency histogram SVG: one panel per answer class on a log axis, labelled, escaped, well-formed. */
import t from 'tap';
import { histogramSvg, msLabel } from '../../bench/histogram-svg.js';
import { byClass, histogram } from '../../bench/latency.js';

t.test('labels of milliseconds and seconds', async (t) => {
  t.same([0.15, 1, 30, 700, 1500, 10000].map(msLabel), ['0.15 ms', '1 ms', '30 ms', '700 ms', '1.5 s', '10 s']);
});

t.test('a panel per class that answered, bars where there are answers, p50 and p99 marked', async (t) => {
  const latencies = [...Array.from({ length: 450 }, (_, i) => 1 + (i % 10) / 10), ...Array.from({ length: 50 }, (_, i) => 20 + i)];
  const statuses = [...Array.from({ length: 450 }, () => 409), ...Array.from({ length: 50 }, () => 202)];
  const hist = histogram(byClass(latencies, statuses));
  const svg = histogramSvg(hist, 'S1 kafka <x> & y', 'sub', { accepted: { p50Ms: 44, p99Ms: 69 } });
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="900" height="\d+"/);
  t.ok(svg.endsWith('</svg>'));
  t.match(svg, /S1 kafka &lt;x&gt; &amp; y/, 'text is escaped');
  t.match(svg, /202 accepted: 50 answers, p50 44 ms, p99 69 ms/, 'the exact percentiles given');
  t.match(svg, /409 refused \(sold out, already issued\): 450 answers, p50 1 ms, p99 1.5 ms/, 'without them, the bucket floors');
  t.notMatch(svg, /other answers/, 'no panel for a class without answers');
  const bars = svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#[0-9a-f]{6}"><title>[^<]+<\/title><\/rect>/g) ?? [];
  const counted = bars.map((bar) => Number(/: (\d+)<\/title>/.exec(bar)?.[1]));
  t.equal(counted.reduce((a, b) => a + b, 0), 500, 'the bars hold every answer');
  t.equal(bars.length, hist.counts.refused?.filter((n) => n > 0).length as number + (hist.counts.accepted?.filter((n) => n > 0).length as number), 'one bar per non-empty bucket');
  t.equal((svg.match(/>p50</g) ?? []).length, 2);
  t.equal((svg.match(/>p99</g) ?? []).length, 2);
  t.match(svg, />1 ms</);
  t.match(svg, />50 ms</);
  t.notMatch(svg, /NaN|undefined|Infinity/);
  // The log axis: 1 to 10 ms is as wide as 10 to 100 ms.
  const x = (label: string): number => Number(new RegExp(`<text x="([\\d.]+)" y="[\\d.]+" text-anchor="middle" font-size="11">${label}</text>`).exec(svg)?.[1]);
  t.ok(Math.abs(x('10 ms') - x('1 ms') - (x('50 ms') - x('5 ms'))) < 0.5, 'equal ratios are equal widths');
});

t.test('a run without answers still makes a valid picture', async (t) => {
  const svg = histogramSvg(histogram(byClass([], [])), 't', 's');
  t.match(svg, /no responses/);
  t.ok(svg.endsWith('</svg>'));
});
