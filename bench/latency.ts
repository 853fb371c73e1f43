/**
 * Pure: latencies split by answer class (202 accepted, 409 refused, anything else), their
 * percentiles, and a log-scale histogram of each class for the chart next to the JSON.
 */

export const CLASSES = ['accepted', 'refused', 'other'] as const;
export type AnswerClass = (typeof CLASSES)[number];

export function classOf(status: number): AnswerClass {
  return status === 202 ? 'accepted' : status === 409 ? 'refused' : 'other';
}

/** Nearest-rank percentile of ascending values; null for none. */
export function percentile(sortedAscending: ArrayLike<number>, p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sortedAscending[rank - 1] as number;
}

/** Each class's latencies, ascending. */
export function byClass(latenciesMs: ArrayLike<number>, statuses: ArrayLike<number>): Record<AnswerClass, Float64Array> {
  const lists: Record<AnswerClass, number[]> = { accepted: [], refused: [], other: [] };
  for (let i = 0; i < latenciesMs.length; i++) lists[classOf(statuses[i] ?? 0)].push(latenciesMs[i] as number);
  return {
    accepted: Float64Array.from(lists.accepted).sort(),
    refused: Float64Array.from(lists.refused).sort(),
    other: Float64Array.from(lists.other).sort(),
  };
}

/** The p50, p95 and p99 of 202s and of 409s, in ms to 0.01 (null: no such answer). */
export interface ClassPercentiles {
  readonly p50AcceptedMs: number | null;
  readonly p95AcceptedMs: number | null;
  readonly p99AcceptedMs: number | null;
  readonly p50RefusedMs: number | null;
  readonly p95RefusedMs: number | null;
  readonly p99RefusedMs: number | null;
}

const hundredths = (value: number | null): number | null => (value === null ? null : Math.round(value * 100) / 100);

export function classPercentiles(sorted: Record<AnswerClass, ArrayLike<number>>): ClassPercentiles {
  const at = (cls: AnswerClass, p: number): number | null => hundredths(percentile(sorted[cls], p));
  return {
    p50AcceptedMs: at('accepted', 50),
    p95AcceptedMs: at('accepted', 95),
    p99AcceptedMs: at('accepted', 99),
    p50RefusedMs: at('refused', 50),
    p95RefusedMs: at('refused', 95),
    p99RefusedMs: at('refused', 99),
  };
}

/**
 * Bucket edges in ms, six per decade on round numbers (1, 1.5, 2, 3, 5, 7 x 10^n), nearly
 * even on a log axis. Bucket i holds latencies in [edges[i], edges[i + 1]); the first also
 * holds anything faster, the last anything slower.
 */
const STEPS = [1, 1.5, 2, 3, 5, 7];

export function bucketEdges(minMs: number, maxMs: number): number[] {
  const low = Math.max(0.1, minMs);
  const high = Math.max(low, maxMs);
  let edges: number[] = [];
  for (let power = Math.floor(Math.log10(low)); ; power++) {
    for (const step of STEPS) {
      const edge = Number((step * 10 ** power).toPrecision(3));
      // The first edge is the last one at or below the fastest answer; the last is above the slowest.
      if (edge <= low) edges = [edge];
      else edges.push(edge);
      if (edge > high) return edges;
    }
  }
}

export interface Histogram {
  /** Bucket edges in ms (one more than each count list). */
  readonly edgesMs: readonly number[];
  /** Answers per bucket for each class that occurred. */
  readonly counts: Readonly<Partial<Record<AnswerClass, readonly number[]>>>;
}

export function histogram(sorted: Record<AnswerClass, ArrayLike<number>>): Histogram {
  const all = CLASSES.filter((cls) => sorted[cls].length > 0);
  if (all.length === 0) return { edgesMs: [], counts: {} };
  const min = Math.min(...all.map((cls) => sorted[cls][0] as number));
  const max = Math.max(...all.map((cls) => sorted[cls][sorted[cls].length - 1] as number));
  const edgesMs = bucketEdges(min, max);
  const buckets = edgesMs.length - 1;
  const counts: Partial<Record<AnswerClass, number[]>> = {};
  for (const cls of all) {
    const list = new Array<number>(buckets).fill(0);
    const values = sorted[cls];
    let bucket = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      while (bucket < buckets - 1 && v >= (edgesMs[bucket + 1] as number)) bucket++;
      list[bucket]++;
    }
    counts[cls] = list;
  }
  return { edgesMs, counts };
}
