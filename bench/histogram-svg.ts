/**
 * Pure: one run's latency histogram as a self-contained SVG, one panel per answer class
 * (202 accepted, 409 refused, other), on a shared log-scale latency axis. Each panel has its
 * own count axis, so 500 admissions stay visible next to 4,500 refusals, and marks its
 * class's p50 and p99.
 */
import { escape, fmt, niceMax } from './chart.js';
import type { AnswerClass, Histogram } from './latency.js';

const WIDTH = 900;
const LEFT = 70;
const RIGHT = 30;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PANEL_H = 150;
const PANEL_GAP = 95;
const HEADER_H = 80;

const STYLE: Readonly<Record<AnswerClass, { title: string; color: string }>> = {
  accepted: { title: '202 accepted', color: '#2ca02c' },
  refused: { title: '409 refused (sold out, already issued)', color: '#1f77b4' },
  other: { title: 'other answers (503, 4xx, ...)', color: '#ff7f0e' },
};

/** 0.15 -> "0.15 ms", 30 -> "30 ms", 1500 -> "1.5 s". */
export function msLabel(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(3))} s` : `${Number(ms.toPrecision(3))} ms`;
}

/** The floor of the bucket holding the nearest-rank percentile p (when the exact figure is not given). */
function bucketPercentile(edges: readonly number[], counts: readonly number[], p: number): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  const bucket = counts.findIndex((n) => (seen += n) >= rank);
  return edges[bucket] as number;
}

/** 1, 2 and 5 x 10^n get a label; the other edges a short tick. */
function labelled(edge: number): boolean {
  const mantissa = edge / 10 ** Math.floor(Math.log10(edge) + 1e-9);
  return [1, 2, 5].some((d) => Math.abs(mantissa - d) < 1e-6);
}

export interface HistogramMarks {
  /** Exact percentiles of the class (the histogram alone only knows the bucket). */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

export function histogramSvg(hist: Histogram, title: string, subtitle: string, marks: Partial<Record<AnswerClass, HistogramMarks>> = {}): string {
  const classes = (Object.keys(STYLE) as AnswerClass[]).filter((cls) => (hist.counts[cls] ?? []).some((n) => n > 0));
  const height = HEADER_H + Math.max(1, classes.length) * (PANEL_H + PANEL_GAP);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="18" font-weight="bold">${escape(title)}</text>`,
    `<text x="${WIDTH / 2}" y="48" text-anchor="middle" font-size="12" fill="#555">${escape(subtitle)}</text>`,
  ];
  const edges = hist.edgesMs;
  if (classes.length === 0 || edges.length < 2) {
    out.push(`<text x="${WIDTH / 2}" y="${HEADER_H + 40}" text-anchor="middle" font-size="14">no responses</text>`, '</svg>');
    return out.join('\n');
  }
  const lo = Math.log10(edges[0] as number);
  const hi = Math.log10(edges[edges.length - 1] as number);
  const xAt = (ms: number): number => LEFT + ((Math.log10(Math.min(Math.max(ms, edges[0] as number), edges[edges.length - 1] as number)) - lo) / (hi - lo)) * PLOT_W;
  out.push(`<text x="${WIDTH / 2}" y="66" text-anchor="middle" font-size="12" fill="#555">latency (log scale), answers per bucket; each panel has its own count scale</text>`);
  classes.forEach((cls, row) => {
    const counts = hist.counts[cls] as readonly number[];
    const { title: name, color } = STYLE[cls];
    const top = HEADER_H + row * (PANEL_H + PANEL_GAP) + 30;
    const bottom = top + PANEL_H;
    const total = counts.reduce((a, b) => a + b, 0);
    // At least 5, so the five grid steps are whole answers.
    const yMax = niceMax(Math.max(5, Math.max(...counts) * 1.05));
    const p50 = marks[cls]?.p50Ms ?? bucketPercentile(edges, counts, 50);
    const p99 = marks[cls]?.p99Ms ?? bucketPercentile(edges, counts, 99);
    const heading = `${name}: ${total} answers${p50 === null ? '' : `, p50 ${msLabel(p50)}`}${p99 === null ? '' : `, p99 ${msLabel(p99)}`}`;
    out.push(`<text x="${LEFT}" y="${top - 10}" font-size="14" font-weight="bold">${escape(heading)}</text>`);
    for (let i = 0; i <= 5; i++) {
      const v = (yMax * i) / 5;
      const y = bottom - (v / yMax) * PANEL_H;
      out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#e5e5e5"/>`, `<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end" font-size="11">${fmt(v)}</text>`);
    }
    counts.forEach((n, i) => {
      if (n === 0) return;
      const x0 = xAt(edges[i] as number);
      const x1 = xAt(edges[i + 1] as number);
      const h = (n / yMax) * PANEL_H;
      out.push(`<rect x="${(x0 + 0.5).toFixed(1)}" y="${(bottom - h).toFixed(1)}" width="${Math.max(1, x1 - x0 - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${color}"><title>${msLabel(edges[i] as number)} to ${msLabel(edges[i + 1] as number)}: ${n}</title></rect>`);
    });
    for (const [label, at] of [['p50', p50], ['p99', p99]] as const) {
      if (at === null) continue;
      const x = xAt(at);
      // p50 is written left of its line and p99 right of it, unless that leaves the panel.
      const right = label === 'p99' ? x < LEFT + PLOT_W - 30 : x < LEFT + 30;
      out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="#d62728" stroke-dasharray="4 3"/>`, `<text x="${x.toFixed(1)}" y="${top + 12}" font-size="11" fill="#d62728" text-anchor="${right ? 'start' : 'end'}" dx="${right ? 3 : -3}">${label}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
    const ends = [xAt(edges[0] as number), xAt(edges[edges.length - 1] as number)];
    edges.forEach((edge, i) => {
      const x = xAt(edge).toFixed(1);
      const end = i === 0 || i === edges.length - 1;
      // Both ends are labelled, so the range is readable; a round edge too, unless it would overlap an end's label.
      const major = end || (labelled(edge) && ends.every((e) => Math.abs(e - xAt(edge)) > 40));
      out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + (major ? 6 : 3)}" stroke="#333"/>`);
      if (major) out.push(`<text x="${x}" y="${bottom + 19}" text-anchor="middle" font-size="11">${msLabel(edge)}</text>`);
    });
    out.push(`<text transform="translate(18 ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle" font-size="12">answers</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}
