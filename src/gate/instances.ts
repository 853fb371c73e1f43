/**
 * Which front doors are alive, so the reconciler only settles the admissions of one that is
 * gone and a rebuild knows whose in-flight hand-offs to wait for. Front doors beat into one
 * sorted set (score: Redis's clock), well within the time-to-live; and they register the
 * coupons they admit to, so the reconciler knows where to look for markers.
 *
 * Every key here belongs to one deployment (its request topic): services sharing a Redis
 * must never settle, or wait for, each other's admissions — a reconciler can only tell
 * whether its own queue holds an admission, and only its own front doors report to its
 * rebuilds.
 */
import type { RedisClient } from '../redis/client.js';
import type { RedisClock } from './clock.js';

export interface DeploymentKeys {
  /** Front doors by their last beat (epoch ms, Redis's clock). */
  frontDoors: string;
  /** Coupons with hand-off markers, scored by when a front door last admitted to them (epoch ms). */
  handoffCoupons: string;
  /** Coupons being rebuilt: every front door checks it and reports itself drained for them. */
  rebuilding: string;
}

export function deploymentKeys(topic: string): DeploymentKeys {
  return {
    frontDoors: `flash-coupon:${topic}:front-doors`,
    handoffCoupons: `flash-coupon:${topic}:handoff-coupons`,
    rebuilding: `flash-coupon:${topic}:rebuilding`,
  };
}

/** A front door silent this long is gone (a freeze shorter than this is survived). */
export const INSTANCE_TTL_MS = 15_000;
/** How often a front door beats; a rebuild waits one beat for front doors to re-register after a data loss. */
export const BEAT_MS = 3_000;
/** How often a front door re-registers a coupon it keeps admitting to. */
const REGISTER_EVERY_MS = 10_000;
/** Entries of front doors gone this long are removed. */
const FORGET_AFTER_MS = 10 * INSTANCE_TTL_MS;

export class FrontDoorPresence {
  private timer: NodeJS.Timeout | undefined;
  private readonly registered = new Map<number, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly clock: RedisClock,
    readonly instanceId: string,
    readonly keys: DeploymentKeys,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), BEAT_MS);
    this.timer.unref();
  }

  /** Called per call that admitted someone: cheap, it touches Redis once per coupon per interval. */
  admittedTo(couponId: number): void {
    const now = Date.now();
    if (now - (this.registered.get(couponId) ?? 0) < REGISTER_EVERY_MS) return;
    this.registered.set(couponId, now);
    this.redis.zadd(this.keys.handoffCoupons, now, String(couponId)).catch(() => this.registered.delete(couponId));
  }

  /** Coupons this front door has admitted to. */
  knownCoupons(): number[] {
    return [...this.registered.keys()];
  }

  async isAlive(instanceId: string): Promise<boolean> {
    const seen = await this.redis.zscore(this.keys.frontDoors, instanceId);
    return seen !== null && Number(seen) >= this.clock.now() - INSTANCE_TTL_MS;
  }

  /** The front doors that beat within the time-to-live. */
  live(): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.frontDoors, Math.floor(this.clock.now() - INSTANCE_TTL_MS), '+inf');
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const now = Math.floor(this.clock.now());
    await this.redis.zadd(this.keys.frontDoors, now, this.instanceId);
    await this.redis.zremrangebyscore(this.keys.frontDoors, '-inf', now - FORGET_AFTER_MS);
  }
}

/** The owner of a call id "<instance>:<n>". */
export function ownerOf(callId: string): string {
  return callId.slice(0, callId.lastIndexOf(':'));
}
