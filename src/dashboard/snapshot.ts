/**
 * One dashboard snapshot: the recent coupons (plus any a viewer pinned) with stock, gate
 * answers, stored rows and database rejections, requests/s from the change of the answer
 * totals since the previous snapshot, and the consumer lag. Built once per interval for
 * every viewer, never on the request path.
 */
import type { Gate, GateCounts } from '../gate/gate.js';
import type { LagReading } from '../lag/probe.js';
import type { DashboardCoupon } from '../store/dashboard.js';

/** Coupons shown without pinning: the most recently created. */
export const RECENT_COUPONS = 20;
/** Points kept per requests/s sparkline (one per snapshot). */
export const HISTORY_POINTS = 60;

export type Answers = GateCounts['answers'];

export interface CouponSnapshot {
  couponId: number;
  name: string;
  /** total_quantity */
  stock: number;
  /** Admissions the gate holds now; null when the gate has no keys for it (rebuilt on the next request). */
  admitted: number | null;
  /** issued_quantity: rows stored in MySQL (the final truth). */
  stored: number;
  /** Requests answered by the gate, by answer; null when the gate has no keys. */
  answers: Answers | null;
  /** Admitted requests the database refused (issue_rejection), by reason. */
  dbRejected: Record<string, number>;
  requestsPerSecond: number;
  history: number[];
  state: 'open' | 'not started' | 'expired' | 'sold out';
  startsAt: string | null;
  expiresAt: string | null;
}

export interface Snapshot {
  at: number;
  queue: 'kafka' | 'redis';
  /** Sum over the coupons shown. */
  requestsPerSecond: number;
  history: number[];
  lag: LagReading;
  coupons: CouponSnapshot[];
  /** Set when a part could not be read this time (the rest is still shown). */
  error?: string;
}

export interface SnapshotSources {
  /** The `recent` newest coupons plus the pinned ones, newest first (store/dashboard.ts). */
  coupons(pinned: readonly number[], recent: number): Promise<DashboardCoupon[]>;
  /** Database refusals by coupon and reason. */
  rejections(couponIds: readonly number[]): Promise<Map<number, Record<string, number>>>;
  gate: Pick<Gate, 'counts'>;
  queue: 'kafka' | 'redis';
  /** The latest consumer lag reading (refreshed on its own schedule, see lag.ts). */
  lag: () => LagReading;
}

function answerTotal(answers: Answers | null): number | undefined {
  if (answers === null) return undefined;
  return answers.ADMITTED + answers.ALREADY_ISSUED + answers.SOLD_OUT + answers.NOT_STARTED + answers.EXPIRED;
}

function pushBounded(history: number[], value: number): number[] {
  const next = [...history, value];
  return next.length > HISTORY_POINTS ? next.slice(next.length - HISTORY_POINTS) : next;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Keeps the previous totals between snapshots, so rates need no per-request work. */
export class SnapshotBuilder {
  private previous = new Map<number, { total: number; history: number[] }>();
  private previousAt = 0;
  private totalHistory: number[] = [];

  constructor(private readonly sources: SnapshotSources) {}

  /** Forgets rates and histories: called when viewing starts again after a pause. */
  reset(): void {
    this.previous.clear();
    this.previousAt = 0;
    this.totalHistory = [];
  }

  async build(pinned: readonly number[], now = Date.now()): Promise<Snapshot> {
    const rows = await this.sources.coupons(pinned, RECENT_COUPONS);
    const ids = rows.map((row) => row.couponId);
    const [counts, rejected] = await Promise.all([Promise.all(ids.map((id) => this.sources.gate.counts(id))), this.sources.rejections(ids)]);
    const seconds = this.previousAt === 0 ? 0 : (now - this.previousAt) / 1000;
    const next = new Map<number, { total: number; history: number[] }>();
    let sum = 0;
    const coupons = rows.map((row, i): CouponSnapshot => {
      const couponId = ids[i]!;
      const gate = counts[i];
      const answers = gate?.answers ?? null;
      const total = answerTotal(answers);
      const before = this.previous.get(couponId);
      // A total that went down means the gate was rebuilt: no rate for that step.
      const rate = seconds > 0 && before !== undefined && total !== undefined && total >= before.total ? (total - before.total) / seconds : 0;
      sum += rate;
      const history = pushBounded(before?.history ?? [], round1(rate));
      next.set(couponId, { total: total ?? before?.total ?? 0, history });
      const admitted = gate?.admitted ?? null;
      return {
        couponId,
        name: row.name,
        stock: row.totalQuantity,
        admitted,
        stored: row.issuedQuantity,
        answers,
        dbRejected: rejected.get(couponId) ?? {},
        requestsPerSecond: round1(rate),
        history,
        state: couponState(row, admitted, now),
        startsAt: row.startsAt?.toISOString() ?? null,
        expiresAt: row.expiresAt?.toISOString() ?? null,
      };
    });
    this.previous = next;
    this.previousAt = now;
    this.totalHistory = pushBounded(this.totalHistory, round1(sum));
    return { at: now, queue: this.sources.queue, requestsPerSecond: round1(sum), history: this.totalHistory, lag: this.sources.lag(), coupons };
  }
}

function couponState(row: DashboardCoupon, admitted: number | null, now: number): CouponSnapshot['state'] {
  if (row.expiresAt !== null && row.expiresAt.getTime() <= now) return 'expired';
  if (row.startsAt !== null && row.startsAt.getTime() > now) return 'not started';
  if ((admitted ?? row.issuedQuantity) >= row.totalQuantity) return 'sold out';
  return 'open';
}
