/** Result files: default names under bench/results/ and the JSON written there. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunContext } from './machine.js';
import { medians } from './report.js';
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
