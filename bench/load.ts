/**
 * Phase 1: fire the scenario's issue requests with autocannon, each with the next userId
 * of the scenario's pool to that user's coupon, spread over one or more front doors, and
 * record every response's status, error code and latency.
 */
import { performance } from 'node:perf_hooks';
import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';
import { clientRequests, couponIndexOf, userIdOf, type Scenario } from './scenarios.js';

export interface LoadResult {
  /** performance.now() when the load started and when the last response arrived. */
  readonly startedAt: number;
  readonly lastResponseAt: number;
  /** performance.now() of the last 202 (0 when none). */
  readonly lastAcceptedAt: number;
  /** One latency (ms) per response, in arrival order, and that response's HTTP status. */
  readonly latenciesMs: Float64Array;
  readonly statuses: Uint16Array;
  /** 202 answers per coupon, in the order of LoadOptions.couponIds. */
  readonly acceptedByCoupon: readonly number[];
  /** Responses by status, and by status and error code ("409 SOLD_OUT"). */
  readonly statusCounts: Readonly<Record<string, number>>;
  readonly codeCounts: Readonly<Record<string, number>>;
  readonly responses: number;
  /** Connection errors and timeouts: requests that got no response. */
  readonly errors: number;
  readonly timeouts: number;
  readonly sent: number;
}

export interface LoadOptions {
  /** Front doors: connection c goes to urls[c mod urls.length] (autocannon's own rule). */
  readonly urls: readonly string[];
  /** The scenario's coupons, most popular first (scenario.coupons of them). */
  readonly couponIds: readonly number[];
  readonly scenario: Scenario;
  readonly concurrency: number;
  /** Called every second with the responses so far. */
  readonly onProgress?: (responses: number, total: number) => void;
  /** `Authorization` header by userId (USER_AUTH=jwt runs). */
  readonly bearerTokens?: ReadonlyMap<string, string>;
}

/** The stable error code in an error body. */
export const CODE = /"code"\s*:\s*"([A-Z_]+)"/;

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { scenario } = options;
  if (options.couponIds.length !== scenario.coupons) throw new Error(`the scenario sells ${scenario.coupons} coupons, ${options.couponIds.length} were given`);
  const latencies = new Float64Array(scenario.requests);
  const statuses = new Uint16Array(scenario.requests);
  const acceptedByCoupon = new Array<number>(scenario.coupons).fill(0);
  const statusCounts: Record<string, number> = {};
  const codeCounts: Record<string, number> = {};
  let responses = 0;
  let lastResponseAt = 0;
  let lastAcceptedAt = 0;
  // One response handler per coupon, so a 202 is counted for its coupon without a lookup.
  const perCoupon = options.couponIds.map((couponId, index) => ({
    path: `/api/coupons/${couponId}/issue`,
    onResponse: (status: number, body: string): void => {
      const code = status >= 400 ? (CODE.exec(body)?.[1] ?? 'no code') : status === 202 ? 'ACCEPTED' : 'other';
      const key = `${status} ${code}`;
      codeCounts[key] = (codeCounts[key] ?? 0) + 1;
      if (status === 202) acceptedByCoupon[index]++;
    },
  }));
  const connections = Math.min(options.concurrency, scenario.requests);
  const requestFor = (requestIndex: number): AutocannonRequest => {
    const coupon = perCoupon[couponIndexOf(scenario, requestIndex)] as (typeof perCoupon)[number];
    const userId = userIdOf(scenario, requestIndex);
    const authorization = options.bearerTokens?.get(userId);
    return {
      method: 'POST',
      path: coupon.path,
      headers: authorization === undefined ? { 'content-type': 'application/json' } : { 'content-type': 'application/json', authorization },
      body: `{"userId":"${userId}"}`,
      onResponse: coupon.onResponse,
    };
  };
  // Each connection gets its own list of fixed requests, built once before the clock starts
  // (clientRequests). A per-request setupRequest would rebuild every request while the load
  // runs, doubling the load generator's CPU on the two cores it shares with the service.
  let clientsSetUp = 0;
  let startedAt = 0;
  const setupClient = (client: AutocannonClient): void => {
    client.setRequests(clientRequests(scenario, connections, clientsSetUp).map(requestFor));
    clientsSetUp++;
    // Clients are created one after another before any socket connects, so the last one
    // set up marks the moment before the first request can be sent.
    if (clientsSetUp === connections) startedAt = performance.now();
  };

  return new Promise((resolve, reject) => {
    let errors = 0;
    let timeouts = 0;
    let settled = false;
    // autocannon notices the end only on its next 1 s sampling tick, which would land in
    // Phase 2; the load is over when every request has a response or an error.
    const finish = (sent: number): void => {
      if (settled) return;
      settled = true;
      clearInterval(ticker);
      resolve({
        startedAt,
        lastResponseAt: lastResponseAt === 0 ? performance.now() : lastResponseAt,
        lastAcceptedAt,
        latenciesMs: latencies.subarray(0, Math.min(responses, latencies.length)),
        statuses: statuses.subarray(0, Math.min(responses, statuses.length)),
        acceptedByCoupon: [...acceptedByCoupon],
        statusCounts: { ...statusCounts },
        codeCounts: { ...codeCounts },
        responses,
        errors,
        timeouts,
        sent,
      });
    };
    const instance = autocannon(
      {
        url: options.urls.length === 1 ? (options.urls[0] as string) : [...options.urls],
        connections,
        pipelining: 1,
        amount: scenario.requests,
        timeout: 10,
        setupClient,
      },
      (err, result) => {
        if (err !== null && !settled) {
          settled = true;
          clearInterval(ticker);
          reject(err);
          return;
        }
        finish(result.requests.sent);
      },
    );
    const check = (): void => {
      if (responses + errors >= scenario.requests) finish(responses + errors);
    };
    const answered = new WeakSet<object>();
    instance.on('response', (client: object, statusCode: number, _bytes: number, responseTimeMs: number) => {
      lastResponseAt = performance.now();
      // autocannon starts a connection's first timer when it queues the request, while the
      // remaining connections are still being set up; nothing is written before the clock
      // starts, so that request's latency is at most the time since then.
      if (!answered.has(client)) {
        answered.add(client);
        responseTimeMs = Math.min(responseTimeMs, lastResponseAt - startedAt);
      }
      if (statusCode === 202) lastAcceptedAt = lastResponseAt;
      if (responses < latencies.length) {
        latencies[responses] = responseTimeMs;
        statuses[responses] = statusCode;
      }
      responses++;
      statusCounts[String(statusCode)] = (statusCounts[String(statusCode)] ?? 0) + 1;
      check();
    });
    instance.on('reqError', (err: Error) => {
      errors++;
      if (/timed out/.test(err.message)) timeouts++;
      check();
    });
    const ticker = setInterval(() => options.onProgress?.(responses, scenario.requests), 1000);
  });
}
