/** Asking for a coupon, and where that request stands. */
import { AppError } from '../../errors.js';
import type { Admission } from '../../gate/admission.js';
import type { Gate } from '../../gate/gate.js';
import type { CouponCeiling } from '../coupon-ceiling.js';
import type { Identify } from '../identity.js';
import type { RateLimits } from '../rate-limit.js';
import { parseJsonObject } from '../request.js';
import { json } from '../respond.js';
import type { IssueRecord } from '../../store/issues.js';
import type { Handler, Route } from '../router.js';
import { parseCouponId, parseUserId } from '../validate.js';

export interface IssueReader {
  findIssue(couponId: number, userId: string): Promise<IssueRecord | undefined>;
  listUserCoupons(userId: string): Promise<unknown[]>;
  couponExists(couponId: number): Promise<boolean>;
}

export interface IssueDeps {
  admission: Admission;
  gate: Gate;
  reader: IssueReader;
  ceiling: CouponCeiling;
  identify: Identify;
  limits: RateLimits;
}

export function issueRoutes(deps: IssueDeps): Route[] {
  const { admission, gate, reader, ceiling, identify, limits } = deps;

  const issue: Handler = async (ctx) => {
    // Cheapest refusals first: the address's bucket, then ids that cannot exist.
    limits.address(ctx.remoteAddress, ctx.forwardedFor);
    const couponId = parseCouponId(ctx.params[0] as string);
    await ceiling.check(couponId);
    const raw = await ctx.body();
    // With a token the body may be empty: the user is the token's.
    const body = raw.length === 0 && ctx.authorization !== '' ? {} : parseJsonObject(raw);
    const userId = await identify(ctx.authorization, body['userId']);
    limits.user(userId);
    const ticket = await admission.request(couponId, userId);
    return json(202, { status: 'ACCEPTED', couponId, userId, ticket });
  };

  const status: Handler = async (ctx) => {
    const couponId = parseCouponId(ctx.params[0] as string);
    const userId = await identify(ctx.authorization, parseUserId(ctx.params[1]));
    await ceiling.check(couponId);
    const stored = await reader.findIssue(couponId, userId);
    if (stored?.status === 'ISSUED') return json(200, { couponId, userId, status: 'ISSUED', ticket: stored.ticket, issuedAt: stored.issuedAt.toISOString() });
    if (stored?.status === 'REJECTED') return json(200, { couponId, userId, status: 'REJECTED', ticket: stored.ticket, reason: stored.reason });
    if (stored?.status === 'DEAD_LETTERED') {
      return json(200, { couponId, userId, status: 'DEAD_LETTERED', ticket: stored.ticket, reason: stored.reason, deadLetteredAt: stored.deadLetteredAt.toISOString() });
    }
    let ticket: number | undefined;
    try {
      ticket = await gate.ticketOf(couponId, userId);
    } catch (err) {
      throw new AppError('UNAVAILABLE', 'the admission gate is unavailable, please retry', { cause: err });
    }
    if (ticket !== undefined) return json(200, { couponId, userId, status: 'PENDING', ticket });
    if (!(await reader.couponExists(couponId))) throw new AppError('COUPON_NOT_FOUND', 'no such coupon');
    throw new AppError('ISSUE_NOT_FOUND', 'this user has no request for this coupon');
  };

  return [
    { method: 'post', pattern: '/api/coupons/:couponId/issue', handler: issue, needsAddress: limits.limitsAddresses },
    { method: 'post', pattern: '/api/coupons/:couponId/issue/queue', handler: issue, needsAddress: limits.limitsAddresses },
    { method: 'get', pattern: '/api/coupons/:couponId/issue/:userId', handler: status },
    {
      method: 'get',
      pattern: '/api/users/:userId/coupons',
      handler: async (ctx) => {
        const userId = await identify(ctx.authorization, parseUserId(ctx.params[0]));
        return json(200, { userId, coupons: await reader.listUserCoupons(userId) });
      },
    },
  ];
}
