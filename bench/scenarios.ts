/**
 * The benchmark's scenarios (SPEC section 9). S1 is the original write-ups' flash sale;
 * S2 is the scale test. Each request carries a userId from the scenario's user pool.
 */
export type ScenarioName = 's1' | 's2';

export interface Scenario {
  readonly name: ScenarioName;
  readonly description: string;
  /** Issue requests fired in total. */
  readonly requests: number;
  /** Distinct users the requests come from (request i is user i mod users). */
  readonly users: number;
  /** The coupon's totalQuantity. */
  readonly stock: number;
  readonly defaultConcurrency: number;
  /** How long Phase 2 may take before the run fails. */
  readonly phase2TimeoutMs: number;
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  s1: {
    name: 's1',
    description: '5,000 requests from 5,000 distinct users for a stock of 500',
    requests: 5_000,
    users: 5_000,
    stock: 500,
    defaultConcurrency: 100,
    phase2TimeoutMs: 60_000,
  },
  s2: {
    name: 's2',
    description: '1,000,000 requests from 200,000 users for a stock of 100,000',
    requests: 1_000_000,
    users: 200_000,
    stock: 100_000,
    defaultConcurrency: 100,
    phase2TimeoutMs: 300_000,
  },
};

export function isScenarioName(value: string): value is ScenarioName {
  return Object.hasOwn(SCENARIOS, value);
}

/** The userId of the i-th request: every user appears before any user repeats. */
export function userIdOf(scenario: Scenario, requestIndex: number): string {
  return `user-${requestIndex % scenario.users}`;
}

/** The most requests that can be admitted: one per user, at most the stock. */
export function expectedAdmissions(scenario: Scenario): number {
  return Math.min(scenario.stock, scenario.users);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The userIds connection `client` of `connections` sends, in order, as one list that
 * autocannon repeats. autocannon splits `requests` over the connections with the remainder
 * to the first ones, so connection c sends requests c, c + connections, c + 2 * connections
 * and so on; their users repeat with period users / gcd(users, connections), so that many
 * entries (or fewer, when the connection sends fewer) reproduce userIdOf for every request.
 */
export function clientUserIds(scenario: Scenario, connections: number, client: number): string[] {
  const sent = Math.floor(scenario.requests / connections) + (client < scenario.requests % connections ? 1 : 0);
  const period = scenario.users / gcd(scenario.users, connections);
  const length = Math.min(sent, period);
  return Array.from({ length }, (_, m) => userIdOf(scenario, client + m * connections));
}
