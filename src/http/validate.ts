/** Input rules of the HTTP API (SPEC section 3), each failing with a stable 400 code. */
import { AppError, type FieldError } from '../errors.js';
import { isUserId } from '../ids.js';
import type { NewCoupon } from '../store/coupons.js';

const MAX_COUPON_ID = 2 ** 53 - 1;

export function parseCouponId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw) || Number(raw) > MAX_COUPON_ID) {
    throw new AppError('INVALID_COUPON_ID', 'couponId must be a positive integer');
  }
  return Number(raw);
}

export function parseUserId(raw: unknown): string {
  if (!isUserId(raw)) {
    throw new AppError('INVALID_USER_ID', 'userId must be 1-64 characters of A-Z a-z 0-9 _ . : @ -');
  }
  return raw;
}

const COUPON_FIELDS = new Set(['name', 'discountType', 'discountValue', 'totalQuantity', 'minOrderAmount', 'startsAt', 'expiresAt']);
const MAX_QUANTITY = 10_000_000;
const MAX_AMOUNT = 9_999_999_999.99;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function money(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_AMOUNT && Math.round(value * 100) === value * 100;
}

function timestamp(value: unknown, field: string, errors: FieldError[]): Date | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
    errors.push({ field, message: 'must be an ISO-8601 date-time with a time zone, e.g. 2026-11-23T10:00:00Z' });
    return null;
  }
  return new Date(value);
}

/** Checks a coupon creation body; reports every bad field at once. */
export function parseNewCoupon(body: Record<string, unknown>): NewCoupon {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!COUPON_FIELDS.has(key)) errors.push({ field: key, message: 'unknown field' });
  }
  const { name, discountType, discountValue, totalQuantity, minOrderAmount } = body;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) errors.push({ field: 'name', message: 'must be a non-empty string of at most 200 characters' });
  if (discountType !== 'PERCENT' && discountType !== 'FIXED') errors.push({ field: 'discountType', message: 'must be PERCENT or FIXED' });
  if (!money(discountValue) || (discountValue as number) <= 0) errors.push({ field: 'discountValue', message: 'must be a positive amount with at most 2 decimals' });
  else if (discountType === 'PERCENT' && (discountValue as number) > 100) errors.push({ field: 'discountValue', message: 'a PERCENT discount must be at most 100' });
  if (typeof totalQuantity !== 'number' || !Number.isInteger(totalQuantity) || totalQuantity < 1 || totalQuantity > MAX_QUANTITY) {
    errors.push({ field: 'totalQuantity', message: `must be an integer from 1 to ${MAX_QUANTITY}` });
  }
  if (minOrderAmount !== undefined && minOrderAmount !== null && !money(minOrderAmount)) errors.push({ field: 'minOrderAmount', message: 'must be a non-negative amount with at most 2 decimals' });
  const startsAt = timestamp(body['startsAt'], 'startsAt', errors);
  const expiresAt = timestamp(body['expiresAt'], 'expiresAt', errors);
  if (startsAt !== null && expiresAt !== null && expiresAt <= startsAt) errors.push({ field: 'expiresAt', message: 'must be after startsAt' });
  if (errors.length > 0) throw new AppError('VALIDATION_FAILED', 'the coupon is not valid', { fields: errors });
  return {
    name: (name as string).trim(),
    discountType: discountType as NewCoupon['discountType'],
    discountValue: discountValue as number,
    totalQuantity: totalQuantity as number,
    minOrderAmount: (minOrderAmount as number | null | undefined) ?? null,
    startsAt,
    expiresAt,
  };
}
