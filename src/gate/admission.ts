/**
 * One issue request from decision to hand-off: the gate decides, the queue takes the
 * admitted request, and a failed hand-off is compensated in the same gate so the user's
 * 503 leaves no trace and they may retry.
 */
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IssueQueue } from '../queue/queue.js';
import { GateCode } from './codes.js';
import type { Gate } from './gate.js';
import { countAdmission, gateSeconds } from './metrics.js';
import { handoffSeconds } from '../queue/metrics.js';

// Built once: after the first seconds of a sale nearly every request is refused, and a
// fresh Error per refusal would capture a stack trace each time for nothing.
const REFUSALS: Partial<Record<number, AppError>> = {
  [GateCode.MISSING]: new AppError('COUPON_NOT_FOUND', 'no such coupon'),
  [GateCode.ALREADY_ISSUED]: new AppError('ALREADY_ISSUED', 'this user already has this coupon'),
  [GateCode.SOLD_OUT]: new AppError('SOLD_OUT', 'all coupons have been issued'),
  [GateCode.NOT_STARTED]: new AppError('NOT_STARTED', 'the sale has not started yet'),
  [GateCode.EXPIRED]: new AppError('EXPIRED', 'the sale has ended'),
};

const RELEASE_ATTEMPTS = 60;
const RELEASE_RETRY_MS = 1000;

export class Admission {
  constructor(
    private readonly gate: Gate,
    private readonly queue: IssueQueue,
    private readonly log: Logger,
  ) {}

  /** Returns the ticket of an admitted request, or throws an AppError saying why not. */
  async request(couponId: number, userId: string): Promise<number> {
    const admittedAt = Date.now();
    const gateTimer = gateSeconds.startTimer();
    let result;
    try {
      result = await this.gate.admit(couponId, userId, admittedAt);
    } catch (err) {
      countAdmission('UNAVAILABLE');
      throw new AppError('UNAVAILABLE', 'the admission gate is unavailable, please retry', { cause: err });
    } finally {
      gateTimer();
    }
    if (result.code !== GateCode.ADMITTED) {
      const refusal = REFUSALS[result.code] ?? new AppError('INTERNAL', `unexpected gate result ${result.code}`);
      countAdmission(refusal.code);
      throw refusal;
    }
    const handoffTimer = handoffSeconds.startTimer();
    try {
      await this.queue.enqueue({ couponId, userId, ticket: result.ticket, admittedAt });
    } catch (err) {
      countAdmission('UNAVAILABLE');
      await this.compensate(couponId, userId, result.ticket, err);
      throw new AppError('UNAVAILABLE', 'the queue is unavailable, nothing was reserved, please retry', { cause: err });
    } finally {
      handoffTimer();
    }
    countAdmission('ADMITTED');
    return result.ticket;
  }

  private async compensate(couponId: number, userId: string, ticket: number, cause: unknown): Promise<void> {
    this.log.warn({ couponId, userId, ticket, err: (cause as Error).message }, 'hand-off failed, releasing the admission');
    try {
      await this.gate.release(couponId, userId, ticket);
    } catch (err) {
      // Redis is away too. Keep trying in the background: until released, the user would
      // be told ALREADY_ISSUED. If Redis lost its data instead, the rebuild from MySQL
      // drops this admission anyway.
      void this.compensateLater(couponId, userId, ticket, err);
    }
  }

  private async compensateLater(couponId: number, userId: string, ticket: number, firstError: unknown): Promise<void> {
    let lastError = firstError;
    for (let attempt = 2; attempt <= RELEASE_ATTEMPTS; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, RELEASE_RETRY_MS));
      try {
        await this.gate.release(couponId, userId, ticket);
        return;
      } catch (err) {
        lastError = err;
      }
    }
    this.log.error({ couponId, userId, ticket, err: (lastError as Error).message }, 'could not release an admission after a failed hand-off');
  }
}
