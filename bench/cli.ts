/**
 * `npm run bench -- ...`: the flash-sale benchmark (SPEC section 9). Prints the table to
 * stdout, progress to stderr, and exits non-zero when a run oversold, duplicated or lost
 * rows (or could not run).
 */
import { join } from 'node:path';
import { runContext } from './machine.js';
import { UsageError } from '../src/config/args.js';
import { parseOptions, USAGE, type BenchOptions, type Queue } from './options.js';
import { formatTable } from './report.js';
import { manyJson, runJson, stamp, writeFile, writeHistograms } from './results.js';
import { runOnce, say, RESULTS_DIR, type RunRecord } from './run.js';
import { sweep } from './sweep.js';
import { drain } from './drain.js';
import { runCommand } from './entry.js';

async function main(options: BenchOptions): Promise<number> {
  const context = runContext();
  const scenario = options.scenarios[0];
  if (options.mode === 'sweep') {
    const { records, failedRuns } = await sweep(options, context);
    return failedRuns.length === 0 && records.every((r) => r.verdict.ok) ? 0 : 1;
  }
  if (scenario === undefined) throw new UsageError('no scenario');
  if (options.mode === 'drain') return (await drain(options, context)) ? 0 : 1;
  const queues: Queue[] = options.mode === 'compare' ? ['kafka', 'redis'] : Array.from({ length: options.runs }, () => options.queue);
  const records: RunRecord[] = [];
  for (const [i, queue] of queues.entries()) {
    if (options.runs > 1) say(`run ${i + 1} of ${options.runs}`);
    records.push(await runOnce(options, { scenario, queue, partitions: options.partitions[0], threads: options.threads[0], partitionKey: options.partitionKey }));
  }
  const repeated = options.runs > 1;
  process.stdout.write(`${formatTable(records, repeated)}\n`);
  const kind = options.mode === 'compare' ? 'compare' : repeated ? 'repeat' : undefined;
  const name = `${scenario.name}-${options.mode === 'compare' ? 'compare' : options.queue}${repeated ? `-x${options.runs}` : ''}-${stamp()}.json`;
  const text = kind === undefined ? runJson(context, records[0] as RunRecord) : manyJson(kind, context, records);
  const jsonFile = writeFile(options.jsonFile ?? join(RESULTS_DIR, name), text);
  say(`wrote ${jsonFile} and ${writeHistograms(jsonFile, context, records).join(', ')}`);
  return records.every((r) => r.verdict.ok) ? 0 : 1;
}

runCommand('bench', USAGE, parseOptions, main);
