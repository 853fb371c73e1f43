/** The bare-loop comparison's checks and tables (its runs are in bench/results/bare-*.json). */
import t from 'tap';
import { bareCpuTable, bareTable, invalidAnswers, settingsOf, type BareRun } from '../../../bench/bare/compare.js';
import { UsageError } from '../../../src/config/args.js';
import type { ScenarioFigures } from '../../../bench/bare/scenario.js';
import type { WrkResult } from '../../../bench/bare/wrk.js';

const wrk = (requestsPerSec: number, overrides: Partial<WrkResult> = {}): WrkResult => ({ requests: requestsPerSec * 6, requestsPerSec, non2xx: 0, socketErrors: 0, p50Ms: 2, p99Ms: 9.5, ...overrides });
const run = (kind: BareRun['case'], pair: number, target: BareRun['target'], result: BareRun['result'], invalid?: string, mainUs = 50): BareRun => ({
  case: kind,
  pair,
  target,
  result,
  cpu: { windowMs: 6000, requests: 1, clockTicksPerSecond: 100, groups: [{ name: 'service main thread', pids: [1], cpuMs: 1, usPerRequest: mainUs }] },
  invalid,
});

t.test('admissions must all be 2xx, refusals none, and no socket may fail', async (t) => {
  t.equal(invalidAnswers('admissions-all', wrk(100)), undefined);
  t.match(invalidAnswers('admissions-api', wrk(100, { non2xx: 3 })), /3 of 600 answers were not 2xx/);
  t.equal(invalidAnswers('refusals', wrk(100, { non2xx: 600 })), undefined);
  t.match(invalidAnswers('refusals', wrk(100, { non2xx: 599 })), /1 of 600 answers were 2xx/);
  t.match(invalidAnswers('refusals', wrk(100, { non2xx: 600, socketErrors: 2 })), /2 socket errors/);
});

t.test('the table gives each pair its ratio and each case the median of its valid pairs', async (t) => {
  const table = bareTable([
    run('admissions-all', 1, 'bare', wrk(20_000)),
    run('admissions-all', 1, 'service', wrk(13_000)),
    run('admissions-all', 2, 'service', wrk(15_000)),
    run('admissions-all', 2, 'bare', wrk(20_000)),
    run('admissions-all', 3, 'bare', wrk(20_000)),
    run('admissions-all', 3, 'service', wrk(19_000, { non2xx: 5 }), '5 of 114000 answers were not 2xx'),
  ]);
  const lines = table.split('\n');
  t.match(lines[0], /^case +pair +bare req\/s +service req\/s +ratio/);
  // wrk runs for a fixed time: no Phase 1 of its own.
  t.match(lines[1], /^admissions-all +1 +20000 +13000 +0\.65 +9\.50 +9\.50 +- +-$/);
  t.match(lines[2], /^admissions-all +2 +20000 +15000 +0\.75/);
  t.match(lines[3], /^admissions-all +3 +20000 +invalid +- /);
  // The invalid pair is left out: the median of 0.65 and 0.75.
  t.match(lines[4], /^admissions-all +median +0\.70$/);
  t.equal(lines.length, 5, 'cases without runs print nothing');
});

t.test('the CPU table has a column per case and target, medians of valid runs', async (t) => {
  const table = bareCpuTable([
    run('refusals', 1, 'bare', wrk(30_000, { non2xx: 180_000 }), undefined, 40),
    run('refusals', 1, 'service', wrk(28_000, { non2xx: 168_000 }), undefined, 44),
    run('refusals', 2, 'service', wrk(28_000, { non2xx: 168_000 }), undefined, 48),
    run('refusals', 3, 'service', undefined, 'the bare loop exited before it was ready', 999),
  ]);
  const [header, main] = table.split('\n');
  t.match(header, /^median of valid runs +refusals bare +refusals service$/);
  t.match(main, /^cpu us\/req service main thread +40\.0 +46\.0$/);
});

t.test('a scenario row gives each target its Phase 1', async (t) => {
  const scenario = (phase1Ms: number): ScenarioFigures => ({ ...wrk(5000 / (phase1Ms / 1000)), requests: 5000, non2xx: 4500, phase1Ms, accepted: 500, p99AcceptedMs: 30 });
  const lines = bareTable([run('s1', 1, 'bare', scenario(500)), run('s1', 1, 'service', scenario(625))]).split('\n');
  t.match(lines[1], /^s1 +1 +10000 +8000 +0\.80 +9\.50 +9\.50 +500\.0 +625\.0$/);
  t.match(lines[2], /^s1 +median +0\.80$/);
});

t.test('the command line: the wrk cases by default, a scenario only when named, --help, and clear refusals', async (t) => {
  const defaults = settingsOf([]);
  t.same(defaults.cases, ['refusals', 'admissions-api', 'admissions-all']);
  t.equal(defaults.concurrency, 100);
  t.equal(defaults.help, false);
  t.same(settingsOf(['--case', 's1', '--case', 'admissions-all', '--concurrency', '50']).cases, ['s1', 'admissions-all']);
  t.equal(settingsOf(['--help']).help, true);
  t.throws(() => settingsOf(['--case', 's3']), UsageError);
  t.throws(() => settingsOf(['--concurrency', '0']), /--concurrency must be an integer from 1 to 100000/);
});
