/**
 * Pure: the sweep chart as a self-contained SVG. One row per scenario, three panels per row:
 * throughput (requests/s), Phase 2 time (ms) and store lag (last 202 to all rows stored, ms)
 * against worker threads, one line per Kafka partition count. A failed run is a red cross.
 */

export interface SweepPoint {
  readonly scenario: string;
  readonly partitions: number;
  readonly threads: number;
  readonly rps: number;
  readonly phase2Ms: number | null;
  readonly storeLagMs: number | null;
  readonly ok: boolean;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const PANEL_W = 440;
const PANEL_H = 240;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };
const ROW_H = PANEL_H + MARGIN.top + MARGIN.bottom + 20;
const COL_W = PANEL_W + MARGIN.left + MARGIN.right;
const HEADER_H = 70;
const LEGEND_H = 40;

export const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const fmt = (value: number): string => (value >= 10_000 ? `${Math.round(value / 1000)}k` : value >= 1000 ? `${(value / 1000).toFixed(1)}k` : String(Math.round(value * 10) / 10));

/** The smallest 1/2/2.5/5 x 10^n at or above `value` (at least 1). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly value: (p: SweepPoint) => number | null;
}

function panel(x0: number, y0: number, spec: Panel, points: readonly SweepPoint[], threads: readonly number[], partitions: readonly number[]): string {
  const out: string[] = [];
  const left = x0 + MARGIN.left;
  const top = y0 + MARGIN.top;
  const values = points.map(spec.value).filter((v): v is number => v !== null);
  const yMax = niceMax(Math.max(0, ...values) * 1.05);
  const xAtThreads = (t: number): number => left + ((threads.indexOf(t) + 0.5) / threads.length) * PANEL_W;
  const yAt = (v: number): number => top + PANEL_H - (v / yMax) * PANEL_H;
  out.push(`<text x="${left + PANEL_W / 2}" y="${top - 14}" text-anchor="middle" font-size="15" font-weight="bold">${escape(spec.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    const y = yAt(v);
    out.push(`<line x1="${left}" y1="${y}" x2="${left + PANEL_W}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end" font-size="12">${fmt(v)}</text>`);
  }
  for (const t of threads) {
    out.push(`<line x1="${xAtThreads(t)}" y1="${top + PANEL_H}" x2="${xAtThreads(t)}" y2="${top + PANEL_H + 5}" stroke="#333"/>`);
    out.push(`<text x="${xAtThreads(t)}" y="${top + PANEL_H + 20}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${left + PANEL_W / 2}" y="${top + PANEL_H + 40}" text-anchor="middle" font-size="13">worker threads</text>`);
  out.push(`<text transform="translate(${x0 + 18} ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escape(spec.yLabel)}</text>`);
  partitions.forEach((p, i) => {
    const color = COLORS[i % COLORS.length] as string;
    // Each series is nudged sideways a little, so equal values stay visible.
    const xAt = (t: number): number => xAtThreads(t) + (i - (partitions.length - 1) / 2) * 5;
    const line = points.filter((pt) => pt.partitions === p).sort((a, b) => threads.indexOf(a.threads) - threads.indexOf(b.threads));
    const drawn = line.filter((pt) => spec.value(pt) !== null);
    if (drawn.length > 1) {
      const d = drawn.map((pt, k) => `${k === 0 ? 'M' : 'L'}${xAt(pt.threads).toFixed(1)},${yAt(spec.value(pt) as number).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    }
    for (const pt of line) {
      const v = spec.value(pt);
      const x = xAt(pt.threads);
      if (v === null || !pt.ok) {
        const y = v === null ? top + PANEL_H - 8 : yAt(v);
        out.push(`<path d="M${x - 5},${y - 5} L${x + 5},${y + 5} M${x - 5},${y + 5} L${x + 5},${y - 5}" stroke="#d62728" stroke-width="2.5"><title>p${p} t${pt.threads}: failed${v === null ? ' (no value)' : ''}</title></path>`);
      } else {
        out.push(`<circle cx="${x}" cy="${yAt(v)}" r="4" fill="${color}"><title>p${p} t${pt.threads}: ${fmt(v)}</title></circle>`);
      }
    }
  });
  return out.join('\n');
}

export function sweepSvg(points: readonly SweepPoint[], title: string, subtitle: string): string {
  const scenarios = [...new Set(points.map((p) => p.scenario))];
  const threads = [...new Set(points.map((p) => p.threads))].sort((a, b) => a - b);
  const partitions = [...new Set(points.map((p) => p.partitions))].sort((a, b) => a - b);
  const width = 3 * COL_W;
  const height = HEADER_H + LEGEND_H + scenarios.length * ROW_H;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${escape(title)}</text>`,
    `<text x="${width / 2}" y="50" text-anchor="middle" font-size="12" fill="#555">${escape(subtitle)}</text>`,
  ];
  const legendY = HEADER_H + 10;
  const legendItems = [...partitions.map((p, i) => ({ text: `${p} partition${p === 1 ? '' : 's'}`, color: COLORS[i % COLORS.length] as string })), { text: 'failed run', color: '#d62728' }];
  const legendX0 = width / 2 - (legendItems.length * 130) / 2;
  legendItems.forEach((item, i) => {
    const x = legendX0 + i * 130;
    const mark = item.text === 'failed run'
      ? `<path d="M${x + 5},${legendY - 5} L${x + 15},${legendY + 5} M${x + 5},${legendY + 5} L${x + 15},${legendY - 5}" stroke="${item.color}" stroke-width="2.5"/>`
      : `<line x1="${x}" y1="${legendY}" x2="${x + 20}" y2="${legendY}" stroke="${item.color}" stroke-width="3"/>`;
    out.push(mark, `<text x="${x + 26}" y="${legendY + 4}" font-size="13">${escape(item.text)}</text>`);
  });
  scenarios.forEach((scenario, row) => {
    const y0 = HEADER_H + LEGEND_H + row * ROW_H;
    const mine = points.filter((p) => p.scenario === scenario);
    const name = scenario.toUpperCase();
    out.push(panel(0, y0, { title: `${name}: throughput`, yLabel: 'requests/s (Phase 1)', value: (p) => p.rps }, mine, threads, partitions));
    out.push(panel(COL_W, y0, { title: `${name}: Phase 2 (last response to all rows)`, yLabel: 'Phase 2 ms', value: (p) => p.phase2Ms }, mine, threads, partitions));
    out.push(panel(2 * COL_W, y0, { title: `${name}: store lag (last 202 to all rows)`, yLabel: 'store lag ms', value: (p) => p.storeLagMs }, mine, threads, partitions));
  });
  out.push('</svg>');
  return out.join('\n');
}
