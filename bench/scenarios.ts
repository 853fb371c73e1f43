/**
 * The benchmark's scenarios (SPEC section 10). S1 is the original write-ups' flash sale;
 * S2 is the scale test; S3 puts many coupons on sale at once, their popularity skewed as in
 * real traffic, so that requests spread over Kafka partitions and writer threads. Each
 * request carries a userId from the scenario's user pool and goes to one coupon.
 */
export type ScenarioName = 's1' | 's2' | 's3';

/** The sizes a run may override (--requests, --users, --stock, --coupons, --quick). */
export interface ScenarioSizes {
  /** Issue requests fired in total. */
  readonly requests: number;
  /** Distinct users the requests come from (request i is user i mod users). */
  readonly users: number;
  /** Each coupon's totalQuantity. */
  readonly stock: number;
  /** Coupons on sale at once (1 for S1 and S2). */
  readonly coupons: number;
}

export interface Scenario extends ScenarioSizes {
  readonly name: ScenarioName;
  readonly description: string;
  /** Popularity of the coupon of rank k is proportional to 1 / k^zipf (0: all alike). */
  readonly zipf: number;
  readonly defaultConcurrency: number;
  /** How long Phase 2 may take before the run fails. */
  readonly phase2TimeoutMs: number;
  /** The sizes --quick uses: small enough to try on a shared 2-core machine. */
  readonly quick: ScenarioSizes;
}

const S1_SIZES = { requests: 5_000, users: 5_000, stock: 500, coupons: 1 };
const S2_SIZES = { requests: 1_000_000, users: 200_000, stock: 100_000, coupons: 1 };

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  s1: {
    name: 's1',
    description: '5,000 requests from 5,000 distinct users for a stock of 500',
    ...S1_SIZES,
    zipf: 0,
    defaultConcurrency: 100,
    phase2TimeoutMs: 60_000,
    quick: S1_SIZES,
  },
  s2: {
    name: 's2',
    description: '1,000,000 requests from 200,000 users for a stock of 100,000',
    ...S2_SIZES,
    zipf: 0,
    defaultConcurrency: 100,
    phase2TimeoutMs: 300_000,
    quick: S2_SIZES,
  },
  s3: {
    name: 's3',
    description: '2,000,000 requests from 200,000 users for 200 coupons of 500 each, Zipf-like popularity',
    requests: 2_000_000,
    users: 200_000,
    stock: 500,
    coupons: 200,
    zipf: 1,
    defaultConcurrency: 100,
    phase2TimeoutMs: 300_000,
    quick: { requests: 20_000, users: 5_000, stock: 50, coupons: 20 },
  },
};

/** The throw-away sale before a measured run: `requests` distinct users for a tenth as much stock (at least 1). */
export function warmUpScenario(scenario: Scenario, requests: number): Scenario {
  return { ...scenario, requests, users: requests, stock: Math.max(1, Math.floor(requests / 10)), coupons: 1 };
}

export function isScenarioName(value: string): value is ScenarioName {
  return Object.hasOwn(SCENARIOS, value);
}

/** The userId of the i-th request: every user appears before any user repeats. */
export function userIdOf(scenario: Scenario, requestIndex: number): string {
  return `user-${requestIndex % scenario.users}`;
}

/** A well-mixed 32-bit hash of n (a fixed seed), turned into [0, 1): which coupon a user wants must not follow user order. */
function unitHash(n: number): number {
  let x = (n ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}

const cumulativeCache = new Map<string, Float64Array>();

/** Cumulative popularity shares of coupons 0..coupons-1 (rank k + 1 weighs 1 / (k + 1)^zipf). */
export function popularity(coupons: number, zipf: number): Float64Array {
  const key = `${coupons}:${zipf}`;
  const cached = cumulativeCache.get(key);
  if (cached !== undefined) return cached;
  const cumulative = new Float64Array(coupons);
  let sum = 0;
  for (let k = 0; k < coupons; k++) cumulative[k] = sum += 1 / (k + 1) ** zipf;
  for (let k = 0; k < coupons; k++) cumulative[k] = (cumulative[k] as number) / sum;
  cumulativeCache.set(key, cumulative);
  return cumulative;
}

/**
 * The coupon (0 = the most popular) that the i-th request asks for. Each user wants one
 * coupon, drawn once from the popularity shares, so a user's repeated requests go to the same
 * coupon (and get ALREADY_ISSUED or SOLD_OUT), as in S2.
 */
export function couponIndexOf(scenario: Scenario, requestIndex: number): number {
  if (scenario.coupons <= 1) return 0;
  const cumulative = popularity(scenario.coupons, scenario.zipf);
  const u = unitHash(requestIndex % scenario.users);
  let lo = 0;
  let hi = scenario.coupons - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u < (cumulative[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Distinct users asking for each coupon over the whole run. */
export function couponDemand(scenario: Scenario): number[] {
  const demand = new Array<number>(scenario.coupons).fill(0);
  const asking = Math.min(scenario.users, scenario.requests);
  for (let i = 0; i < asking; i++) demand[couponIndexOf(scenario, i)]++;
  return demand;
}

/** The most requests that can be admitted: per coupon one per user asking, at most the stock. */
export function expectedAdmissions(scenario: Scenario): number {
  return couponDemand(scenario).reduce((sum, users) => sum + Math.min(scenario.stock, users), 0);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The request indexes connection `client` of `connections` sends, in order, as one list that
 * autocannon repeats. autocannon splits `requests` over the connections with the remainder
 * to the first ones, so connection c sends requests c, c + connections, c + 2 * connections
 * and so on; users (and so coupons) repeat with period users / gcd(users, connections), so
 * that many entries (or fewer, when the connection sends fewer) reproduce every request.
 */
export function clientRequests(scenario: Scenario, connections: number, client: number): number[] {
  const sent = Math.floor(scenario.requests / connections) + (client < scenario.requests % connections ? 1 : 0);
  const period = scenario.users / gcd(scenario.users, connections);
  const length = Math.min(sent, period);
  return Array.from({ length }, (_, m) => client + m * connections);
}
