/**
 * Coupon ids are given out in increasing order, so an id above the highest one that exists
 * names no coupon. Random unknown ids are answered 404 here, without a Redis or MySQL call
 * each: the highest id is read at most once per REFRESH_MS, and raised at once when this
 * process creates a coupon. A coupon made by another process is seen on the first request
 * for it after REFRESH_MS.
 */
import { AppError } from '../errors.js';

const REFRESH_MS = 1000;
const NOT_FOUND = new AppError('COUPON_NOT_FOUND', 'no such coupon');

export class CouponCeiling {
  private highest = 0;
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(private readonly readHighest: () => Promise<number>) {}

  async load(): Promise<void> {
    this.raise(await this.readHighest());
    this.readAt = Date.now();
  }

  raise(couponId: number): void {
    if (couponId > this.highest) this.highest = couponId;
  }

  /** Resolves when the id may exist; throws COUPON_NOT_FOUND when it cannot. */
  check(couponId: number): Promise<void> | undefined {
    if (couponId <= this.highest) return undefined;
    const now = Date.now();
    if (now - this.readAt < REFRESH_MS) throw NOT_FOUND;
    // One read for every request arriving meanwhile, and none again for REFRESH_MS even if it fails.
    this.readAt = now;
    this.reading ??= this.load().finally(() => {
      this.reading = undefined;
    });
    return this.reading.then(
      () => {
        if (couponId > this.highest) throw NOT_FOUND;
      },
      // MySQL away: let the request take its usual path rather than deny a real coupon.
      () => undefined,
    );
  }
}
