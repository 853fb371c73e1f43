/**
 * The bench's own scenario load (autocannon through bench/load.ts, the bench's connections
 * and warm-up) against a bare loop or the service, for `npm run bench:bare --case s1|s2`:
 * what the least a front door can do gives under the very load `npm run bench` measures, so a
 * scenario goal can be checked against what this machine allows at all.
 */
import type { LoadResult } from '../load.js';
import { byClass, percentile } from '../latency.js';
import type { Scenario } from '../scenarios.js';
import type { WrkResult } from './wrk.js';

export const SCENARIO_CASES = ['s1', 's2'] as const;
export type ScenarioCase = (typeof SCENARIO_CASES)[number];

/** A scenario run in the wrk summary's terms, plus what only a scenario has. */
export interface ScenarioFigures extends WrkResult {
  /** First request sent to last response (the bench's Phase 1). */
  readonly phase1Ms: number;
  readonly accepted: number;
  readonly p99AcceptedMs: number | null;
}

export function figuresOf(load: LoadResult): ScenarioFigures {
  const phase1Ms = load.lastResponseAt - load.startedAt;
  const all = Float64Array.from(load.latenciesMs).sort();
  const { accepted } = byClass(load.latenciesMs, load.statuses);
  const twoxx = load.statuses.filter((status) => status >= 200 && status < 300).length;
  return {
    requests: load.responses,
    requestsPerSec: phase1Ms > 0 ? (load.responses * 1000) / phase1Ms : 0,
    non2xx: load.responses - twoxx,
    socketErrors: load.errors,
    p50Ms: percentile(all, 50) ?? 0,
    p99Ms: percentile(all, 99) ?? 0,
    phase1Ms,
    accepted: accepted.length,
    p99AcceptedMs: percentile(accepted, 99),
  };
}

/** Why a scenario run's answers are not the scenario's (every request answered, exactly the stock admitted, the rest refused), or undefined. */
export function invalidScenarioAnswers(scenario: Scenario, load: LoadResult): string | undefined {
  if (load.errors > 0) return `${load.errors} requests got no answer`;
  if (load.responses !== scenario.requests) return `${load.responses} of ${scenario.requests} requests were answered`;
  const admitted = load.statusCounts['202'] ?? 0;
  const refused = load.statusCounts['409'] ?? 0;
  if (admitted !== scenario.stock) return `${admitted} admissions for a stock of ${scenario.stock}`;
  if (admitted + refused !== load.responses) return `${load.responses - admitted - refused} answers were neither 202 nor 409`;
  return undefined;
}
