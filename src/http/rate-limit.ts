/**
 * Token buckets on issue requests, per client address and per user, kept in this process:
 * a bucket holds up to `burst` tokens, refilled at `perSecond`; a request takes one or gets
 * 429 RATE_LIMITED with Retry-After. Buckets that have refilled are forgotten, and the
 * table is bounded, so a crowd of addresses cannot grow memory without end.
 */
import { Counter } from 'prom-client';
import type { Config } from '../config/index.js';
import { AppError } from '../errors.js';

export const rateLimited = new Counter({
  name: 'flash_coupon_rate_limited_total',
  help: 'Issue requests refused with 429 by a token bucket, by what was limited (address or user)',
  labelNames: ['by'] as const,
});

const MAX_BUCKETS = 200_000;

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly counter;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    by: 'address' | 'user',
    private readonly now: () => number = Date.now,
  ) {
    this.counter = rateLimited.labels(by);
  }

  /** Takes a token for `key`, or throws RATE_LIMITED saying when the next one comes. */
  take(key: string): void {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = this.burst;
    if (bucket !== undefined) tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    if (tokens < 1) {
      this.counter.inc();
      const retryAfter = Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
      throw new AppError('RATE_LIMITED', 'too many requests, slow down', { headers: { 'Retry-After': String(retryAfter) } });
    }
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep(now);
      this.buckets.set(key, { tokens: tokens - 1, at: now });
    } else {
      bucket.tokens = tokens - 1;
      bucket.at = now;
    }
  }

  /** Forgets full buckets (they would start full anyway); if none is, the oldest half. */
  private sweep(now: number): void {
    const fullAfterMs = (this.burst / this.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) if (now - bucket.at >= fullAfterMs) this.buckets.delete(key);
    if (this.buckets.size < MAX_BUCKETS) return;
    let drop = this.buckets.size / 2;
    for (const key of this.buckets.keys()) {
      this.buckets.delete(key);
      if (--drop <= 0) break;
    }
  }
}

export interface RateLimits {
  /** Before anything else is read: the client's address. */
  address(remoteAddress: string, forwardedFor: string): void;
  user(userId: string): void;
  /** Whether `address` limits anything (RATE_LIMIT_ADDRESS_PER_S above 0): routes read the address only then. */
  readonly limitsAddresses: boolean;
}

/** The address a request comes from: the last X-Forwarded-For entry behind a trusted proxy. */
export function clientAddress(remoteAddress: string, forwardedFor: string, trustProxy: boolean): string {
  if (!trustProxy || forwardedFor === '') return remoteAddress;
  const last = forwardedFor.slice(forwardedFor.lastIndexOf(',') + 1).trim();
  return last === '' ? remoteAddress : last.slice(0, 64);
}

export function rateLimitsFrom(limits: Config['rateLimit'], trustProxy: boolean): RateLimits {
  const byAddress = limits.address.perSecond > 0 ? new TokenBuckets(limits.address.perSecond, limits.address.burst, 'address') : undefined;
  const byUser = limits.user.perSecond > 0 ? new TokenBuckets(limits.user.perSecond, limits.user.burst, 'user') : undefined;
  return {
    address: byAddress === undefined ? () => undefined : (remote, forwarded) => byAddress.take(clientAddress(remote, forwarded, trustProxy)),
    user: byUser === undefined ? () => undefined : (userId) => byUser.take(userId),
    limitsAddresses: byAddress !== undefined,
  };
}
