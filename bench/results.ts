/** Result files: default names under bench/results/, the JSON written there, and each run's latency histogram beside it. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunContext } from './machine.js';
import { histogramSvg } from './histogram-svg.js';
import { label, medians } from './report.js';
import type { RunRecord } from './run.js';

export function stamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export function writeFile(file: string, text: string): string {
  const path = resolve(file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** One run: its fields at the top level, with where and when it was measured. */
export function runJson(context: RunContext, record: RunRecord): string {
  return `${JSON.stringify({ kind: 'run', ...context, ...record }, null, 2)}\n`;
}

/** Several runs (--compare, --sweep, --runs): the runs in order, each with the same fields as a run file. */
export function manyJson(kind: 'compare' | 'sweep' | 'repeat', context: RunContext, records: readonly RunRecord[], failed: readonly { run: string; error: string }[] = []): string {
  const extra = kind === 'repeat' ? { medians: medians(records) } : {};
  return `${JSON.stringify({ kind, ...context, ...extra, results: records, failedRuns: failed }, null, 2)}\n`;
}

/**
 * One latency histogram per run beside the JSON: <name>-latency.svg, or <name>-latency-<n>.svg
 * when the file holds several runs (a sweep's <name>.svg is its own chart). Returns the paths.
 */
export function writeHistograms(jsonFile: string, context: RunContext, records: readonly RunRecord[]): string[] {
  const base = jsonFile.replace(/\.json$/, '');
  return records.map((r, i) => {
    const name = records.length === 1 ? label(r) : `${label(r)} #${i + 1}`;
    const marks = { accepted: { p50Ms: r.p50AcceptedMs, p99Ms: r.p99AcceptedMs }, refused: { p50Ms: r.p50RefusedMs, p99Ms: r.p99RefusedMs } };
    const subtitle = `${r.responses} answers from ${r.concurrency} connections; ${context.date.slice(0, 16).replace('T', ' ')} UTC, commit ${context.commit}, ${context.machine.cpus} CPUs, Node ${context.machine.node}`;
    const svg = histogramSvg(r.latencyHistogram, `flash-coupon ${name}: latency by answer`, subtitle, marks);
    return writeFile(`${base}-latency${records.length === 1 ? '' : `-${i + 1}`}.svg`, svg);
  });
}
