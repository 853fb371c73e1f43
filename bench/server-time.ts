/**
 * Pure: the service's own time per answer (flash_coupon_http_request_seconds, from the
 * handler being called to the reply handed over) for the issue route, between two scrapes
 * of GET /metrics. Set against the load generator's latency it splits a request's time into
 * inside the process and outside it (queued in the client, the kernel, or behind a busy
 * event loop before the request was read).
 */

const METRIC = 'flash_coupon_http_request_seconds';
const ISSUE_ROUTE = '/api/coupons/:couponId/issue';

/** Cumulative bucket counts by upper bound (seconds), plus the sum and count, for one status. */
export interface StatusHistogram {
  readonly buckets: ReadonlyMap<number, number>;
  readonly sum: number;
  readonly count: number;
}

export type IssueHistograms = ReadonlyMap<string, StatusHistogram>;

const LINE = new RegExp(`^${METRIC}_(bucket|sum|count)\\{([^}]*)\\} (\\S+)$`);
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** The issue route's histogram per status from one or more /metrics texts (front doors are added up). */
export function parseIssueHistograms(texts: readonly string[]): IssueHistograms {
  const byStatus = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (!line.startsWith(METRIC)) continue;
      const match = LINE.exec(line);
      if (match === null) continue;
      const [, part, labelText, rawValue] = match as unknown as [string, string, string, string];
      const labels = Object.fromEntries([...labelText.matchAll(LABEL)].map((m) => [m[1], m[2]]));
      if (labels.route !== ISSUE_ROUTE || labels.status === undefined) continue;
      const value = Number(rawValue);
      const entry = byStatus.get(labels.status) ?? { buckets: new Map<number, number>(), sum: 0, count: 0 };
      byStatus.set(labels.status, entry);
      if (part === 'sum') entry.sum += value;
      else if (part === 'count') entry.count += value;
      else {
        const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
        entry.buckets.set(le, (entry.buckets.get(le) ?? 0) + value);
      }
    }
  }
  return byStatus;
}

/** after - before, per status (a status first seen after counts whole). */
export function histogramDelta(before: IssueHistograms, after: IssueHistograms): IssueHistograms {
  const delta = new Map<string, StatusHistogram>();
  for (const [status, now] of after) {
    const then = before.get(status);
    const buckets = new Map<number, number>();
    for (const [le, count] of now.buckets) buckets.set(le, count - (then?.buckets.get(le) ?? 0));
    delta.set(status, { buckets, sum: now.sum - (then?.sum ?? 0), count: now.count - (then?.count ?? 0) });
  }
  return delta;
}

/**
 * The q-quantile (0-1) in seconds, interpolated linearly inside its bucket as Prometheus's
 * histogram_quantile does, so only as fine as the buckets; null without observations.
 */
export function histogramQuantile(histogram: StatusHistogram, q: number): number | null {
  if (histogram.count <= 0) return null;
  const bounds = [...histogram.buckets.keys()].sort((a, b) => a - b);
  const rank = q * histogram.count;
  let lower = 0;
  let below = 0;
  for (const upper of bounds) {
    const cumulative = histogram.buckets.get(upper) as number;
    if (cumulative >= rank) {
      // Past the last finite bound nothing says where: the last finite bound is reported.
      if (upper === Infinity) return lower;
      const inBucket = cumulative - below;
      return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
    lower = upper;
    below = cumulative;
  }
  return lower;
}

export interface ServerTime {
  /** Milliseconds; null when the class had no answer. */
  readonly serviceMeanAcceptedMs: number | null;
  readonly serviceP50AcceptedMs: number | null;
  readonly serviceP99AcceptedMs: number | null;
  readonly serviceMeanRefusedMs: number | null;
  readonly serviceP50RefusedMs: number | null;
  readonly serviceP99RefusedMs: number | null;
}

const ms = (seconds: number | null): number | null => (seconds === null ? null : Math.round(seconds * 100_000) / 100);

export const NO_SERVER_TIME: ServerTime = {
  serviceMeanAcceptedMs: null, serviceP50AcceptedMs: null, serviceP99AcceptedMs: null,
  serviceMeanRefusedMs: null, serviceP50RefusedMs: null, serviceP99RefusedMs: null,
};

/** 202s are the accepted class, 409s the refused one (as in the load generator's percentiles). */
export function serverTime(delta: IssueHistograms): ServerTime {
  const empty: StatusHistogram = { buckets: new Map(), sum: 0, count: 0 };
  const accepted = delta.get('202') ?? empty;
  const refused = delta.get('409') ?? empty;
  const mean = (h: StatusHistogram): number | null => (h.count > 0 ? ms(h.sum / h.count) : null);
  return {
    serviceMeanAcceptedMs: mean(accepted),
    serviceP50AcceptedMs: ms(histogramQuantile(accepted, 0.5)),
    serviceP99AcceptedMs: ms(histogramQuantile(accepted, 0.99)),
    serviceMeanRefusedMs: mean(refused),
    serviceP50RefusedMs: ms(histogramQuantile(refused, 0.5)),
    serviceP99RefusedMs: ms(histogramQuantile(refused, 0.99)),
  };
}
