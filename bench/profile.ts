/**
 * `npm run profile:doctor|profile:flame|profile:bubbleprof -- ...`: the service under clinic
 * (or `node --cpu-prof`) on a free port with a fresh topic and group, a coupon, the
 * scenario's load, then one SIGINT to the service so it flushes and exits and clinic writes
 * its report. Prints the run's folder and the report's path.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../src/paths.js';
import { createCoupon, createCoupons } from './api.js';
import { BenchDb } from './db.js';
import { runLoad } from './load.js';
import { dataDirs, profileCommand, reportFiles, runDir, serviceArgv, visualizeCommand } from './profile-command.js';
import { readProfile, summarizeProfile, summaryTable } from './profile-cpu.js';
import { parseProfileOptions, PROFILE_USAGE, type ProfileOptions } from './profile-options.js';
import { startProfiled } from './profile-process.js';
import { joinTraceFiles, traceFiles } from './profile-trace.js';
import { cleanUp } from './run.js';
import { freePort, waitReady, type ServiceHandle } from './service.js';
import { runCommand } from './entry.js';

const READY_TIMEOUT_MS = 180_000;
/** clinic's analysis of a long bubbleprof run takes minutes. */
const ANALYSIS_TIMEOUT_MS = 20 * 60_000;

function say(line: string): void {
  process.stderr.write(`[profile] ${line}\n`);
}

const size = (bytes: number): string => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} KB`);

async function main(options: ProfileOptions): Promise<number> {
  const { tool, scenario } = options;
  const runId = `profile-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dest = runDir(options.destRoot ?? join(PACKAGE_ROOT, '.clinic'), tool);
  const logFile = join(dest, 'profile.log');
  const port = await freePort();
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const topic = `bench-${runId}`;
  const groupId = `${topic}-writers`;
  const settings = {
    port, adminToken, queue: options.queue, topic, groupId, mysqlUrl: options.mysqlUrl, redisUrl: options.redisUrl,
    kafkaBrokers: options.kafkaBrokers, extraArgs: options.serviceArgs,
  };
  const split = options.roles === 'split';
  const argv = serviceArgv(PACKAGE_ROOT, split ? { ...settings, role: 'api' } : settings);
  const clinicBin = createRequire(import.meta.url).resolve('clinic/bin.js');
  const command = profileCommand(tool, dest, argv, clinicBin, process.execPath);
  say(`${tool}: ${scenario.name} (${scenario.requests} requests, ${scenario.users} users, stock ${scenario.stock}), ${options.queue} mode, ${options.concurrency} connections${split ? ', role api profiled, batch writers in a separate process' : ''}`);
  say(`$ ${[command.command, ...command.args].map((arg) => (arg === adminToken ? '<token>' : arg)).join(' ')}`);
  // With --roles split the batch writers run unprofiled in their own process, same topic and group.
  const writers = split
    ? startProfiled({ command: process.execPath, args: serviceArgv(PACKAGE_ROOT, { ...settings, port: await freePort(), role: 'consumer' }), env: {}, wrapped: false }, join(dest, 'consumer.log'), dest)
    : undefined;
  const spawnedAt = performance.now();
  const profiled = startProfiled(command, logFile, dest);
  const url = `http://127.0.0.1:${port}`;
  // The clean-up in run.ts takes a ServiceHandle; this one is stopped through `profiled`.
  const service: ServiceHandle = { url, urls: [url], pid: undefined, adminToken, topic, groupId, logFile, stop: async () => undefined };
  const db = BenchDb.open(options.mysqlUrl);
  const coupons: number[] = [];
  let loadWindow: { fromMs: number; toMs: number } | undefined;
  try {
    await waitReady(url, READY_TIMEOUT_MS, profiled.exited);
    say(`service ready at ${url} (topic ${topic}, log ${logFile})`);
    await db.connect();
    if (options.warmup > 0) {
      const stock = Math.max(1, Math.floor(options.warmup / 10));
      const warmId = await createCoupon(url, adminToken, 'profile warm-up', stock);
      coupons.push(warmId);
      const warm = await runLoad({ urls: [url], couponIds: [warmId], scenario: { ...scenario, requests: options.warmup, users: options.warmup, stock, coupons: 1 }, concurrency: options.concurrency });
      say(`warm-up: ${warm.responses} responses`);
    }
    const couponIds = await createCoupons(url, adminToken, `profile ${tool} ${scenario.name} ${runId}`, scenario.stock, scenario.coupons);
    coupons.push(...couponIds);
    const startedAt = performance.now();
    const load = await runLoad({
      urls: [url], couponIds, scenario, concurrency: options.concurrency,
      onProgress: (done, total) => say(`load: ${done}/${total} responses`),
    });
    loadWindow = { fromMs: startedAt - spawnedAt, toMs: load.lastResponseAt - spawnedAt };
    const seconds = (load.lastResponseAt - load.startedAt) / 1000;
    const answers = Object.entries(load.codeCounts).map(([key, n]) => `${n} ${key}`).join(', ');
    say(`load done: ${load.responses} responses in ${seconds.toFixed(2)} s (${Math.round(load.responses / seconds)}/s): ${answers}; ${load.errors} errors`);
  } finally {
    say(`stopping the service (SIGINT)${tool === 'cpuprof' ? '' : '; clinic then analyses the data, which can take minutes'}`);
    const how = await profiled.stop(ANALYSIS_TIMEOUT_MS);
    say(`${tool === 'cpuprof' ? 'service' : 'clinic'} ended: ${how}`);
    if (writers !== undefined) say(`consumer process ended: ${await writers.stop(60_000)}`);
    if (!options.keepData) await cleanUp(options, options.queue, service, db, coupons);
    await db.close();
  }

  // doctor and bubbleprof: when Node rotated its trace log, clinic's join fails and no
  // report is written; join the files here and make the report from the collected data.
  const [dataDir] = dataDirs(tool, readdirSync(dest));
  if (tool !== 'flame' && tool !== 'cpuprof' && reportFiles(tool, readdirSync(dest)).length === 0 && traceFiles(readdirSync(dest)).length > 0 && dataDir !== undefined) {
    const joined = joinTraceFiles(dest, join(dest, dataDir, `${dataDir}-traceevent`));
    say(`joined ${joined} rotated trace files; making the report from ${dataDir} (can take minutes)`);
    const visualize = startProfiled(visualizeCommand(tool, join(dest, dataDir), clinicBin, process.execPath), logFile, dest);
    const timer = setTimeout(() => void visualize.stop(0), ANALYSIS_TIMEOUT_MS);
    say(`clinic --visualize-only ended: ${await visualize.exited}`);
    clearTimeout(timer);
  }
  const reports = reportFiles(tool, readdirSync(dest)).map((name) => join(dest, name));
  process.stdout.write(`output folder: ${dest}\n`);
  if (reports.length === 0) {
    process.stdout.write(`no report was written: see ${logFile}\n`);
    return 1;
  }
  for (const report of reports) process.stdout.write(`report: ${report} (${size(statSync(report).size)})\n`);
  if (tool === 'cpuprof' && loadWindow !== undefined) {
    const profile = readProfile(reports[0] as string);
    process.stdout.write(`\nmain thread, during the load (${loadWindow.fromMs.toFixed(0)}-${loadWindow.toMs.toFixed(0)} ms after spawn):\n`);
    process.stdout.write(`${summaryTable(summarizeProfile(profile, loadWindow, `${PACKAGE_ROOT}`))}\n`);
    process.stdout.write(`\nthe table again for any window: node ${relative(process.cwd(), join(PACKAGE_ROOT, 'dist', 'bench', 'profile-cpu.js'))} ${reports[0]} FROM_MS TO_MS\n`);
  }
  return 0;
}

runCommand('profile', PROFILE_USAGE, parseProfileOptions, main);
