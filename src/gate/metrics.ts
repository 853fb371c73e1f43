/** Admission outcomes and gate latency, for GET /metrics. */
import { Counter, Histogram } from 'prom-client';

export const admissions = new Counter({
  name: 'flash_coupon_admissions_total',
  help: 'Issue requests decided, by outcome (ADMITTED or the refusal code)',
  labelNames: ['outcome'] as const,
});

export const gateSeconds = new Histogram({
  name: 'flash_coupon_gate_seconds',
  help: 'Time of one admission decision in Redis (the Lua call, rebuild included)',
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
});

export const gateBatchSize = new Histogram({
  name: 'flash_coupon_gate_batch_requests',
  help: 'Issue requests decided by one call of the admit script (one coupon, one event-loop turn)',
  buckets: [1, 2, 5, 10, 20, 50, 100, 200],
});

const boundAdmissions = new Map<string, ReturnType<typeof admissions.labels>>();

/** Counts one decision; the child counter per outcome is bound once (no label hashing per request). */
export function countAdmission(outcome: string): void {
  let counter = boundAdmissions.get(outcome);
  if (counter === undefined) {
    counter = admissions.labels(outcome);
    boundAdmissions.set(outcome, counter);
  }
  counter.inc();
}

export const callsReleased = new Counter({
  name: 'flash_coupon_admissions_released_total',
  help: 'Admissions undone because they were never handed off: answer_lost (the admit call got no answer, its users were told 503), not_replicated (REDIS_WAIT_REPLICAS not confirmed in time, 503) or reconciled (the front door that made them died)',
  labelNames: ['why'] as const,
});

export const partialLosses = new Counter({
  name: 'flash_coupon_gate_partial_losses_total',
  help: 'Coupons whose gate was found behind MySQL (Redis lost part of its data) and rebuilt',
});
