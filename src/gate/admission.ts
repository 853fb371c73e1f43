/**
 * One issue request from decision to hand-off: the gate decides, the queue takes the
 * admitted request, and a failed hand-off is compensated in the same gate so the user's
 * 503 leaves no trace and they may retry.
 */
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { IssueQueue } from '../queue/producer.js';
import { GateCode } from './codes.js';
import type { Gate } from './gate.js';
import { admissions, gateSeconds } from './metrics.js';
import { handoffSeconds } from '../queue/metrics.js';

const REFUSALS: Partial<Record<number, [AppError['code'], string]>> = {
  [GateCode.MISSING]: ['COUPON_NOT_FOUND', 'no such coupon'],
  [GateCode.ALREADY_ISSUED]: ['ALREADY_ISSUED', 'this user already has this coupon'],
  [GateCode.SOLD_OUT]: ['SOLD_OUT', 'all coupons have been issued'],
  [GateCode.NOT_STARTED]: ['NOT_STARTED', 'the sale has not started yet'],
  [GateCode.EXPIRED]: ['EXPIRED', 'the sale has ended'],
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
      admissions.inc({ outcome: 'UNAVAILABLE' });
      throw new AppError('UNAVAILABLE', 'the admission gate is unavailable, please retry', { cause: err });
    } finally {
      gateTimer();
    }
    if (result.code !== GateCode.ADMITTED) {
      const [code, message] = REFUSALS[result.code] ?? ['INTERNAL', `unexpected gate result ${result.code}`];
      admissions.inc({ outcome: code });
      throw new AppError(code, message);
    }
    const handoffTimer = handoffSeconds.startTimer();
    try {
      await this.queue.enqueue({ couponId, userId, ticket: result.ticket, admittedAt });
    } catch (err) {
      admissions.inc({ outcome: 'UNAVAILABLE' });
      await this.compensate(couponId, userId, result.ticket, err);
      throw new AppError('UNAVAILABLE', 'the queue is unavailable, nothing was reserved, please retry', { cause: err });
    } finally {
      handoffTimer();
    }
    admissions.inc({ outcome: 'ADMITTED' });
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
