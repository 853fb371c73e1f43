/**
 * Pure: the soak chart as a self-contained SVG, three panels over the seconds of the run:
 * memory (RSS and main-thread heap used, with the two windows the verdict compares),
 * event-loop delay (p99 and max per sample interval) and throughput (requests/s, rows/s).
 */
import { escape, fmt, niceMax } from './chart.js';
import type { LevelVerdict, SoakSample } from './soak-metrics.js';

const WIDTH = 1000;
const PANEL_H = 210;
const LEFT = 80;
const RIGHT = 30;
const PANEL_GAP = 95;
const HEADER_H = 80;
const PLOT_W = WIDTH - LEFT - RIGHT;

interface Series {
  readonly name: string;
  readonly color: string;
  readonly value: (s: SoakSample) => number | null;
}

interface PanelSpec {
  readonly title: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
}

const MB = 2 ** 20;

/** Seconds between x-axis ticks: at most about 10 ticks. */
function tickStep(durationSec: number): number {
  return [5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((step) => durationSec / step <= 10) ?? 7200;
}

function path(points: readonly [number, number][]): string {
  return points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

function panel(top: number, spec: PanelSpec, samples: readonly SoakSample[], durationSec: number, extra: (xAt: (t: number) => number, yAt: (v: number) => number) => string[]): string {
  const out: string[] = [];
  const tMax = Math.max(durationSec, ...samples.map((s) => s.t));
  const values = samples.flatMap((s) => spec.series.map((series) => series.value(s))).filter((v): v is number => v !== null && Number.isFinite(v));
  const yMax = niceMax(Math.max(0, ...values) * 1.08);
  const xAt = (t: number): number => LEFT + (t / tMax) * PLOT_W;
  const yAt = (v: number): number => top + PANEL_H - (Math.min(v, yMax) / yMax) * PANEL_H;
  out.push(`<text x="${LEFT}" y="${top - 32}" font-size="15" font-weight="bold">${escape(spec.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${LEFT}" y1="${yAt(v)}" x2="${LEFT + PLOT_W}" y2="${yAt(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${LEFT - 8}" y="${yAt(v) + 4}" text-anchor="end" font-size="12">${fmt(v)}</text>`);
  }
  const step = tickStep(tMax);
  for (let t = 0; t <= tMax + 1e-9; t += step) {
    out.push(`<line x1="${xAt(t)}" y1="${top + PANEL_H}" x2="${xAt(t)}" y2="${top + PANEL_H + 5}" stroke="#333"/>`);
    out.push(`<text x="${xAt(t)}" y="${top + PANEL_H + 19}" text-anchor="middle" font-size="12">${t}</text>`);
  }
  out.push(...extra(xAt, yAt));
  out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${PANEL_H}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${LEFT + PLOT_W / 2}" y="${top + PANEL_H + 38}" text-anchor="middle" font-size="13">seconds since the load started</text>`);
  out.push(`<text transform="translate(22 ${top + PANEL_H / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escape(spec.yLabel)}</text>`);
  let legendX = LEFT;
  spec.series.forEach((series) => {
    // A missing value (failed scrape) breaks the line.
    let run: [number, number][] = [];
    const runs: [number, number][][] = [run];
    for (const s of samples) {
      const v = series.value(s);
      if (v === null || !Number.isFinite(v)) runs.push((run = []));
      else run.push([xAt(s.t), yAt(v)]);
    }
    for (const r of runs) {
      if (r.length === 1) out.push(`<circle cx="${(r[0] as [number, number])[0]}" cy="${(r[0] as [number, number])[1]}" r="2.5" fill="${series.color}"/>`);
      if (r.length > 1) out.push(`<path d="${path(r)}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    }
    out.push(`<line x1="${legendX}" y1="${top - 14}" x2="${legendX + 22}" y2="${top - 14}" stroke="${series.color}" stroke-width="3"/>`);
    out.push(`<text x="${legendX + 28}" y="${top - 10}" font-size="13">${escape(series.name)}</text>`);
    // About 7.5 px per character at 13 px.
    legendX += 28 + series.name.length * 7.5 + 30;
  });
  return out.join('\n');
}

export function soakSvg(samples: readonly SoakSample[], durationSec: number, verdict: LevelVerdict, title: string, subtitle: string): string {
  const height = HEADER_H + 3 * (PANEL_H + PANEL_GAP) + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="18" font-weight="bold">${escape(title)}</text>`,
    `<text x="${WIDTH / 2}" y="46" text-anchor="middle" font-size="12" fill="#555">${escape(subtitle)}</text>`,
    `<text x="${WIDTH / 2}" y="66" text-anchor="middle" font-size="13" fill="${verdict.ok ? '#2ca02c' : '#d62728'}">${escape(verdict.message)}</text>`,
  ];
  const top = (i: number): number => HEADER_H + PANEL_GAP - 20 + i * (PANEL_H + PANEL_GAP);
  const fifth = durationSec / 5;
  out.push(panel(top(0), {
    title: 'Memory',
    yLabel: 'MB',
    series: [
      { name: 'RSS (whole process)', color: '#1f77b4', value: (s) => (s.rssBytes === null ? null : s.rssBytes / MB) },
      { name: 'heap used (main thread)', color: '#ff7f0e', value: (s) => (s.heapUsedBytes === null ? null : s.heapUsedBytes / MB) },
    ],
  }, samples, durationSec, (xAt, yAt) => {
    // The windows the verdict compares, each with its mean RSS.
    const marks: string[] = [];
    const windows: [number, number, number | null, string][] = [
      [fifth, 2 * fifth, verdict.baseMeanBytes, 'second fifth'],
      [4 * fifth, Math.max(durationSec, ...samples.map((s) => s.t)), verdict.endMeanBytes, 'last fifth'],
    ];
    for (const [from, to, mean, name] of windows) {
      marks.push(`<rect x="${xAt(from)}" y="${yAt(Infinity)}" width="${xAt(to) - xAt(from)}" height="${PANEL_H}" fill="#1f77b4" fill-opacity="0.07"/>`);
      if (mean === null) continue;
      const y = yAt(mean / MB);
      marks.push(`<line x1="${xAt(from)}" y1="${y}" x2="${xAt(to)}" y2="${y}" stroke="#1f77b4" stroke-width="1.5" stroke-dasharray="4 3"/>`);
      marks.push(`<text x="${(xAt(from) + xAt(to)) / 2}" y="${y - 7}" text-anchor="middle" font-size="11" fill="#1f77b4">${name}: mean ${(mean / MB).toFixed(1)} MB</text>`);
    }
    return marks;
  }));
  out.push(panel(top(1), {
    title: 'Event-loop delay (per sample interval; includes the 10 ms timer period)',
    yLabel: 'ms',
    series: [
      { name: 'p99', color: '#1f77b4', value: (s) => s.eventLoopP99Ms },
      { name: 'max', color: '#d62728', value: (s) => s.eventLoopMaxMs },
    ],
  }, samples, durationSec, () => []));
  out.push(panel(top(2), {
    title: 'Throughput (per sample interval)',
    yLabel: 'per second',
    series: [
      { name: 'requests/s (answered)', color: '#2ca02c', value: (s) => (s.t > 0 ? s.requestsPerSec : null) },
      { name: 'rows stored/s', color: '#9467bd', value: (s) => (s.t > 0 ? s.rowsPerSec : null) },
    ],
  }, samples, durationSec, () => []));
  out.push('</svg>');
  return out.join('\n');
}
