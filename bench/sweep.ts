/**
 * `npm run bench:sweep`: Kafka partitions x worker threads on each scenario, one fresh
 * service per combination; results to bench/results/sweep-<timestamp>.json and the chart
 * to bench/results/sweep.svg.
 */
import { join } from 'node:path';
import { sweepSvg, type SweepPoint } from './chart.js';
import type { RunContext } from './machine.js';
import type { BenchOptions } from './options.js';
import { formatTable } from './report.js';
import { manyJson, stamp, writeFile, writeHistograms } from './results.js';
import { runOnce, say, RESULTS_DIR, type RunRecord } from './run.js';

export interface SweepOutcome {
  readonly records: readonly RunRecord[];
  readonly failedRuns: readonly { run: string; error: string }[];
}

export async function sweep(options: BenchOptions, context: RunContext): Promise<SweepOutcome> {
  const records: RunRecord[] = [];
  const failedRuns: { run: string; error: string }[] = [];
  const total = options.scenarios.length * options.partitions.length * options.threads.length;
  let n = 0;
  for (const scenario of options.scenarios) {
    for (const partitions of options.partitions) {
      for (const threads of options.threads) {
        const run = `${scenario.name} p${partitions} t${threads}`;
        say(`sweep ${++n}/${total}: ${run}`);
        try {
          records.push(await runOnce(options, { scenario, queue: 'kafka', partitions, threads, partitionKey: options.partitionKey }));
        } catch (err) {
          say(`sweep run ${run} failed: ${(err as Error).message}`);
          failedRuns.push({ run, error: (err as Error).message });
        }
      }
    }
  }
  const jsonFile = writeFile(options.jsonFile ?? join(RESULTS_DIR, `sweep-${stamp()}.json`), manyJson('sweep', context, records, failedRuns));
  const points: SweepPoint[] = records.map((r) => ({
    scenario: r.scenario,
    partitions: r.partitions ?? 0,
    threads: r.threads ?? 0,
    rps: r.rps,
    phase2Ms: r.phase2Ms,
    storeLagMs: r.storeLagMs,
    ok: r.verdict.ok,
  }));
  const subtitle = `${context.date.slice(0, 16).replace('T', ' ')} UTC, commit ${context.commit}, ${context.machine.cpus} CPUs, ${context.machine.memoryGiB} GiB, Node ${context.machine.node}; Kafka mode${options.partitionKey === undefined ? '' : `, message key ${options.partitionKey}`}, one run per point`;
  const svg = sweepSvg(points, 'flash-coupon: Kafka partitions x worker threads', subtitle);
  // sweep.svg is always the latest sweep; the stamped copy sits beside its JSON.
  writeFile(/\.json$/.test(jsonFile) ? jsonFile.replace(/\.json$/, '.svg') : `${jsonFile}.svg`, svg);
  const svgFile = writeFile(join(RESULTS_DIR, 'sweep.svg'), svg);
  writeHistograms(jsonFile, context, records);
  for (const scenario of options.scenarios) {
    const mine = records.filter((r) => r.scenario === scenario.name);
    if (mine.length > 0) process.stdout.write(`\n${formatTable(mine)}\n`);
  }
  say(`wrote ${jsonFile}, ${svgFile} and a latency histogram per run beside the JSON`);
  return { records, failedRuns };
}
