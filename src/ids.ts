/**
 * The identifiers of the API (SPEC section 3), shared by the HTTP rules and the message
 * format, and the name of this process among the deployment's.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** userId: 1-64 characters of A-Z a-z 0-9 _ . : @ - (no escaping needed anywhere). */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,64}$/;

export function isUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

export function isCouponId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Unique to this process among every process of the deployment: host, pid and a random tag. */
export function processInstanceId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
