/**
 * Which front doors are alive, so the reconciler only settles the admissions of one that is
 * gone. Each front door keeps a key with a time-to-live and refreshes it well within it; and
 * registers the coupons it admits to, so the reconciler knows where to look for markers.
 */
import type { Redis } from 'ioredis';

const INSTANCE_PREFIX = 'flash-coupon:front-door:';
/**
 * Coupons with hand-off markers, scored by when a front door last admitted to them (epoch ms),
 * one register per deployment (its topic): a reconciler can only tell whether its own queue
 * holds an admission, so it must never settle the markers of another deployment sharing the
 * Redis (it would release admissions still in that deployment's topic).
 */
export function handoffCouponsKey(topic: string): string {
  return `flash-coupon:${topic}:handoff-coupons`;
}
/** A front door silent this long is gone (a freeze shorter than this is survived). */
export const INSTANCE_TTL_MS = 15_000;
const REFRESH_MS = 3_000;
/** How often a front door re-registers a coupon it keeps admitting to. */
const REGISTER_EVERY_MS = 10_000;

export class FrontDoorPresence {
  private timer: NodeJS.Timeout | undefined;
  private readonly registered = new Map<number, number>();

  constructor(
    private readonly redis: Redis,
    readonly instanceId: string,
    /** handoffCouponsKey of this deployment. */
    private readonly couponsKey: string,
  ) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
  }

  /** Called per call that admitted someone: cheap, it touches Redis once per coupon per interval. */
  admittedTo(couponId: number): void {
    const now = Date.now();
    if (now - (this.registered.get(couponId) ?? 0) < REGISTER_EVERY_MS) return;
    this.registered.set(couponId, now);
    this.redis.zadd(this.couponsKey, now, String(couponId)).catch(() => this.registered.delete(couponId));
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    await this.redis.set(`${INSTANCE_PREFIX}${this.instanceId}`, String(Date.now()), 'PX', INSTANCE_TTL_MS);
  }
}

export async function isInstanceAlive(redis: Redis, instanceId: string): Promise<boolean> {
  return (await redis.exists(`${INSTANCE_PREFIX}${instanceId}`)) === 1;
}

/** The owner of a call id "<instance>:<n>". */
export function ownerOf(callId: string): string {
  return callId.slice(0, callId.lastIndexOf(':'));
}
