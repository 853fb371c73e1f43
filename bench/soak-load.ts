/**
 * The soak's load: one autocannon run for a set time, S2-shaped (stock 100,000 per coupon,
 * a pool of 200,000 users, 100 connections), that never stops admitting. Requests alternate
 * between the open coupon (new users: admitted until it sells out) and the coupon that sold
 * out before it (users it has seen: ALREADY_ISSUED, and users it has not: SOLD_OUT). A new
 * coupon opens when the open one sells out, or after `couponSeconds`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { createCoupon } from './api.js';
import { CODE } from './load.js';

export interface SoakLoadOptions {
  readonly url: string;
  readonly adminToken: string;
  readonly runId: string;
  readonly concurrency: number;
  readonly users: number;
  readonly stock: number;
  readonly couponSeconds: number;
  /** Share of the requests sent to the open coupon (the rest go to the last sold-out one). */
  readonly openShare: number;
  readonly durationMs: number;
  /** Called with each coupon created, before any request goes to it. */
  readonly onCoupon: (couponId: number) => void;
  readonly onNote: (line: string) => void;
}

/** What the soak saw of one coupon. */
export interface CouponTally {
  readonly couponId: number;
  /** Seconds since the load started when it opened and when it closed (null: still open). */
  readonly openedAt: number;
  closedAt: number | null;
  closedBecause: 'sold out' | 'time' | null;
  requests: number;
  responses: number;
  /** 202 answers: each must end up as a row. */
  accepted: number;
  /** Responses by status and error code ("409 SOLD_OUT"). */
  readonly codeCounts: Record<string, number>;
}

export interface SoakLoadTotals {
  readonly responses: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly accepted: number;
}

export interface SoakLoad {
  /** Every coupon so far, oldest first (the live objects: they keep counting). */
  readonly coupons: readonly CouponTally[];
  totals(): SoakLoadTotals;
  /** performance.now() when the load started (just before the first coupon was created). */
  readonly startedAt: number;
  /** Settles when the time is up, the last issue request has its answer and autocannon stopped. */
  readonly finished: Promise<void>;
}

/** After the time is up, how long in-flight issue requests may take (autocannon's timeout is 10 s). */
const DRAIN_MS = 12_000;
/** A failed coupon creation is tried again after this, not on every response. */
const RETRY_MS = 1000;

export async function startSoakLoad(options: SoakLoadOptions): Promise<SoakLoad> {
  const coupons: CouponTally[] = [];
  const startedAt = performance.now();
  const seconds = (): number => (performance.now() - startedAt) / 1000;
  const open = async (): Promise<CouponTally> => {
    const couponId = await createCoupon(options.url, options.adminToken, `soak ${options.runId} #${coupons.length + 1}`, options.stock);
    options.onCoupon(couponId);
    const tally: CouponTally = { couponId, openedAt: seconds(), closedAt: null, closedBecause: null, requests: 0, responses: 0, accepted: 0, codeCounts: {} };
    coupons.push(tally);
    return tally;
  };

  let current = await open();
  let previous: CouponTally | undefined;
  let rotating = false;
  let draining = false;
  let nextTryAt = 0;
  const rotate = (because: 'sold out' | 'time'): void => {
    if (rotating || performance.now() < nextTryAt || draining) return;
    rotating = true;
    open().then(
      (next) => {
        current.closedAt = seconds();
        current.closedBecause = because;
        previous = current;
        current = next;
      },
      (err: unknown) => {
        options.onNote(`could not open a new coupon (${(err as Error).message}); still on coupon ${current.couponId}`);
        nextTryAt = performance.now() + RETRY_MS;
      },
    ).finally(() => {
      rotating = false;
    });
  };

  let openCredit = 0;
  let openUser = 0;
  let closedUser = 0;
  let sent = 0;
  let answered = 0;
  let errors = 0;
  let timeouts = 0;
  let accepted = 0;
  const byId = new Map<number, CouponTally>();
  const tallyOf = (couponId: unknown): CouponTally | undefined => {
    if (typeof couponId !== 'number') return undefined;
    let tally = byId.get(couponId);
    if (tally === undefined) {
      tally = coupons.find((c) => c.couponId === couponId);
      if (tally !== undefined) byId.set(couponId, tally);
    }
    return tally;
  };

  const request: AutocannonRequest = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // Called as each request is sent; the context lives until that request's response
    // (one request in flight per connection), so onResponse knows its coupon.
    setupRequest: (req, context) => {
      if (draining) {
        context['couponId'] = null;
        // Fresh headers: autocannon keeps the last Content-Length in the request's headers.
        return { ...req, method: 'GET', path: '/healthz', headers: {}, body: undefined };
      }
      openCredit += options.openShare;
      let target: CouponTally;
      let userId: string;
      if (previous === undefined || openCredit >= 1) {
        openCredit = Math.max(0, openCredit - 1);
        target = current;
        userId = `soak-u${openUser++ % options.users}`;
      } else {
        target = previous;
        userId = `soak-u${closedUser++ % options.users}`;
      }
      target.requests++;
      sent++;
      context['couponId'] = target.couponId;
      return { ...req, method: 'POST', path: `/api/coupons/${target.couponId}/issue`, body: `{"userId":"${userId}"}` };
    },
    onResponse: (status, body, context) => {
      const tally = tallyOf(context['couponId']);
      if (tally === undefined) return;
      answered++;
      tally.responses++;
      const code = status >= 400 ? (CODE.exec(body)?.[1] ?? 'no code') : status === 202 ? 'ACCEPTED' : 'other';
      const key = `${status} ${code}`;
      tally.codeCounts[key] = (tally.codeCounts[key] ?? 0) + 1;
      if (status === 202) {
        tally.accepted++;
        accepted++;
      }
      if (tally === current && (tally.accepted >= options.stock || code === 'SOLD_OUT')) rotate('sold out');
    },
  };

  let done: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    done = resolve;
  });
  const instance = autocannon(
    // No `amount`: the run lasts until stop(); `duration` is only a backstop.
    { url: options.url, connections: options.concurrency, pipelining: 1, timeout: 10, duration: Math.ceil(options.durationMs / 1000) + 120, requests: [request] },
    () => done(),
  );
  instance.on('reqError', (err: Error) => {
    errors++;
    if (/timed out/.test(err.message)) timeouts++;
  });
  const ticker = setInterval(() => {
    if (seconds() - current.openedAt >= options.couponSeconds) rotate('time');
  }, 1000);

  const finished = (async (): Promise<void> => {
    await sleep(options.durationMs);
    clearInterval(ticker);
    // From now on connections send GET /healthz, so no issue request is cut off by stop().
    draining = true;
    // Each connection error or timeout loses the one request that connection had in flight.
    const deadline = performance.now() + DRAIN_MS;
    while (answered + errors < sent && performance.now() < deadline) await sleep(20);
    if (answered + errors < sent) options.onNote(`${sent - answered - errors} issue requests still unanswered after ${DRAIN_MS} ms`);
    instance.stop();
    await stopped;
    while (rotating) await sleep(20);
    current.closedAt = seconds();
  })();

  return {
    coupons,
    startedAt,
    totals: () => ({ responses: answered, errors, timeouts, accepted }),
    finished,
  };
}
