/** The scenario cases' figures and answer checks, from a load result (bench/load.ts's shape). */
import t from 'tap';
import { figuresOf, invalidScenarioAnswers } from '../../../bench/bare/scenario.js';
import type { LoadResult } from '../../../bench/load.js';
import { SCENARIOS } from '../../../bench/scenarios.js';

function load(statuses: number[], latencies: number[], overrides: Partial<LoadResult> = {}): LoadResult {
  const statusCounts: Record<string, number> = {};
  for (const status of statuses) statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
  return {
    startedAt: 1000,
    lastResponseAt: 1500,
    lastAcceptedAt: 1100,
    latenciesMs: Float64Array.from(latencies),
    statuses: Uint16Array.from(statuses),
    acceptedByCoupon: [statusCounts['202'] ?? 0],
    statusCounts,
    codeCounts: {},
    responses: statuses.length,
    errors: 0,
    timeouts: 0,
    sent: statuses.length,
    ...overrides,
  };
}

t.test('figures: Phase 1, responses per second of it, percentiles overall and of the 202s', async (t) => {
  const statuses = [...Array<number>(10).fill(202), ...Array<number>(90).fill(409)];
  // The 202s take 11..20 ms, the 409s 1..90 ms.
  const latencies = [...Array.from({ length: 10 }, (_, i) => 11 + i), ...Array.from({ length: 90 }, (_, i) => 1 + i)];
  const figures = figuresOf(load(statuses, latencies));
  t.equal(figures.phase1Ms, 500);
  t.equal(figures.requests, 100);
  t.equal(figures.requestsPerSec, 200);
  t.equal(figures.non2xx, 90);
  t.equal(figures.accepted, 10);
  t.equal(figures.p99AcceptedMs, 20);
  t.equal(figures.p99Ms, 89);
  t.equal(figures.p50Ms, 40);
});

t.test('a scenario run counts only when every request is answered, the stock admitted and the rest refused', async (t) => {
  const s1 = SCENARIOS.s1;
  const exact = [...Array<number>(500).fill(202), ...Array<number>(4500).fill(409)];
  const latencies = Array<number>(5000).fill(1);
  t.equal(invalidScenarioAnswers(s1, load(exact, latencies)), undefined);
  t.match(invalidScenarioAnswers(s1, load([...exact.slice(0, 501), ...exact.slice(502)].concat(202), latencies)), /501 admissions for a stock of 500/);
  t.match(invalidScenarioAnswers(s1, load([...exact.slice(0, 4999), 503], latencies)), /1 answers were neither 202 nor 409/);
  t.match(invalidScenarioAnswers(s1, load(exact.slice(1), latencies.slice(1))), /4999 of 5000 requests were answered/);
  t.match(invalidScenarioAnswers(s1, load(exact, latencies, { errors: 2 })), /2 requests got no answer/);
});
