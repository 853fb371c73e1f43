/** Hand-off latency and producer batch sizes, for GET /metrics. */
import { Counter, Gauge, Histogram } from 'prom-client';

export const handoffSeconds = new Histogram({
  name: 'flash_coupon_handoff_seconds',
  help: 'Time from admission to the queue acknowledging the request (linger included)',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
});

export const producerBatchSize = new Histogram({
  name: 'flash_coupon_producer_batch_messages',
  help: 'Messages per producer sendBatch',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
});

export const shedRequests = new Counter({
  name: 'flash_coupon_shed_requests_total',
  help: 'Issue requests refused with 503 before the gate because the queue is not keeping up: failing (circuit open), stalled (a send pending past HANDOFF_STALL_MS), backlog (HANDOFF_MAX_WAITING waiting) or closing',
  labelNames: ['reason'] as const,
});

const SHED_REASONS = ['failing', 'stalled', 'backlog', 'closing'] as const;
export type ShedReason = (typeof SHED_REASONS)[number];

/** Bound once per reason (no label hashing per refusal); all four show from the first scrape. */
const shedCounters = Object.fromEntries(SHED_REASONS.map((reason) => [reason, shedRequests.labels(reason)])) as Record<ShedReason, ReturnType<typeof shedRequests.labels>>;

export function countShed(reason: ShedReason): void {
  shedCounters[reason].inc();
}

/** Read at scrape time from every open producer of this process. */
const circuits = new Set<() => boolean>();

export function reportCircuit(open: () => boolean): () => void {
  circuits.add(open);
  return () => circuits.delete(open);
}

export const handoffCircuitOpen = new Gauge({
  name: 'flash_coupon_handoff_circuit_open',
  help: '1 while the hand-off circuit is open: a send failed and its resend (the probe) is not yet acknowledged, or a send is stalled; new issue requests get 503 before the gate',
  // With front-door threads each thread has its own producer; the process's answer is 1 when any is open, not their count.
  aggregator: 'max',
  collect() {
    this.set([...circuits].some((open) => open()) ? 1 : 0);
  },
});
