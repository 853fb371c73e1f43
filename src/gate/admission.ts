/**
 * One issue request from decision to hand-off: the gate decides, the queue takes the
 * admitted request, and only then is the user told 202. A request the queue cannot take soon
 * (failing, stalled or too far behind) is refused before the gate, so nothing is reserved.
 */
import { performance } from 'node:perf_hooks';
import { AppError } from '../errors.js';
import type { IssueQueue } from '../queue/queue.js';
import { handoffSeconds } from '../queue/metrics.js';
import { GateCode } from './codes.js';
import type { Gate } from './gate.js';
import { countAdmission, gateSeconds } from './metrics.js';

// Built once: after the first seconds of a sale nearly every request is refused, and a
// fresh Error per refusal would capture a stack trace each time for nothing.
const REFUSALS: Partial<Record<number, AppError>> = {
  [GateCode.MISSING]: new AppError('COUPON_NOT_FOUND', 'no such coupon'),
  [GateCode.ALREADY_ISSUED]: new AppError('ALREADY_ISSUED', 'this user already has this coupon'),
  [GateCode.SOLD_OUT]: new AppError('SOLD_OUT', 'all coupons have been issued'),
  [GateCode.NOT_STARTED]: new AppError('NOT_STARTED', 'the sale has not started yet'),
  [GateCode.EXPIRED]: new AppError('EXPIRED', 'the sale has ended'),
  [GateCode.UNAVAILABLE]: new AppError('UNAVAILABLE', 'the admission gate did not answer in time, nothing was reserved, please retry'),
};

const SHED = new AppError('UNAVAILABLE', 'the queue is not keeping up, nothing was reserved, please retry');
const GATE_DOWN = new AppError('UNAVAILABLE', 'the admission gate is unavailable, nothing was reserved, please retry');

export class Admission {
  constructor(
    private readonly gate: Gate,
    private readonly queue: IssueQueue,
  ) {}

  /** Returns the ticket of an admitted request, or throws an AppError saying why not. */
  async request(couponId: number, userId: string): Promise<number> {
    if (!this.queue.accepting()) {
      countAdmission('SHED');
      throw SHED;
    }
    // performance.now() and a plain observe: prom-client's startTimer costs a closure, two
    // hrtime calls and a label merge per request.
    const gateStarted = performance.now();
    let result;
    try {
      result = await this.gate.admit(couponId, userId);
    } catch {
      // The gate's own calls are settled inside it; what fails here (a rebuild reading MySQL,
      // a coupon creation race) admitted nobody.
      countAdmission('UNAVAILABLE');
      throw GATE_DOWN;
    } finally {
      gateSeconds.observe((performance.now() - gateStarted) / 1000);
    }
    const call = result.call;
    if (result.code !== GateCode.ADMITTED || call === undefined) {
      const refusal = REFUSALS[result.code] ?? new AppError('INTERNAL', `unexpected gate result ${result.code}`);
      countAdmission(refusal.code);
      throw refusal;
    }
    const handoffStarted = performance.now();
    try {
      await this.queue.enqueue({ couponId, userId, ticket: result.ticket, admittedAt: call.admittedAt });
    } catch {
      // Only a process closing past its deadline stops a hand-off. Neither 202 nor 503 would
      // be true: no answer, and the reconciler settles the admission from what reached Kafka.
      return new Promise<number>(() => undefined);
    } finally {
      handoffSeconds.observe((performance.now() - handoffStarted) / 1000);
    }
    this.gate.handedOff(call, result.ticket);
    countAdmission('ADMITTED');
    return result.ticket;
  }
}
