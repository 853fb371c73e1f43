/**
 * The profile runner's pure parts: its options, the clinic command line built for each
 * tool, the files it looks for, joining rotated trace logs, and the CPU-profile summary.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { dataDirs, innerNode, profileCommand, reportFiles, runDir, serviceArgv, visualizeCommand, type ServiceSettings } from '../../bench/profile-command.js';
import { groupOf, summarizeProfile, type CpuProfile } from '../../bench/profile-cpu.js';
import { parseProfileOptions } from '../../bench/profile-options.js';
import { parentPid } from '../../bench/profile-process.js';
import { joinTraceFiles, traceEventsBody, traceFiles } from '../../bench/profile-trace.js';

t.test('options: the tool comes first, S1 and Kafka by default', async (t) => {
  const o = parseProfileOptions(['doctor']);
  t.equal(o.tool, 'doctor');
  t.equal(o.scenario.name, 's1');
  t.equal(o.scenario.requests, 5000);
  t.equal(o.queue, 'kafka');
  t.equal(o.roles, 'all');
  t.equal(o.concurrency, 100);
  t.equal(o.warmup, 0);
  t.same(o.serviceArgs, []);
  t.equal(parseProfileOptions(['bubbleprof']).roles, 'split', 'bubbleprof keeps the writer threads out of the profiled process');
  t.equal(parseProfileOptions(['bubbleprof', '--roles', 'all']).roles, 'all');
});

t.test('options: --requests shortens S2 and keeps its users and stock', async (t) => {
  const o = parseProfileOptions(['flame', '--scenario', 's2', '--requests', '200000', '--queue', 'redis', '--', '--worker-threads', '2']);
  t.equal(o.scenario.requests, 200_000);
  t.equal(o.scenario.users, 200_000);
  t.equal(o.scenario.stock, 100_000);
  t.equal(o.queue, 'redis');
  t.same(o.serviceArgs, ['--worker-threads', '2']);
});

t.test('options: bad input is refused with a message naming it', async (t) => {
  t.throws(() => parseProfileOptions([]), /first argument must be one of doctor, flame, bubbleprof, cpuprof/);
  t.throws(() => parseProfileOptions(['heapprofiler']), /got "heapprofiler"/);
  t.throws(() => parseProfileOptions(['doctor', 'flame']), /unexpected argument "flame"/);
  t.throws(() => parseProfileOptions(['doctor', '--scenario', 's4']), /--scenario must be s1 or s2 or s3/);
  t.has(parseProfileOptions(['doctor', '--scenario', 's3', '--requests', '20000']).scenario, { name: 's3', coupons: 200, requests: 20_000 }, 'S3 profiles its 200 coupons');
  t.throws(() => parseProfileOptions(['doctor', '--queue', 'rabbit']), /--queue must be kafka or redis/);
  t.throws(() => parseProfileOptions(['doctor', '--requests', '0']), /--requests must be an integer from 1 to 5000/);
  t.throws(() => parseProfileOptions(['doctor', '--requests', '5001']), /--requests/);
  t.throws(() => parseProfileOptions(['doctor', '--roles', 'api']), /--roles must be all or split/);
  t.throws(() => parseProfileOptions(['doctor', '--bogus']), /bogus/);
  t.equal(parseProfileOptions(['--help']).help, true);
});

const SETTINGS: ServiceSettings = {
  port: 41000, adminToken: 'tok', queue: 'kafka', topic: 'bench-x', groupId: 'bench-x-writers',
  mysqlUrl: 'mysql://root@127.0.0.1:3306/flash_coupon', redisUrl: 'redis://127.0.0.1:6379', kafkaBrokers: undefined, extraArgs: ['--log-level', 'info'],
};

t.test('the service command line: fresh topic and group, free port, role, extra flags last', async (t) => {
  const argv = serviceArgv('/repo', SETTINGS);
  t.equal(argv[0], join('/repo', 'dist', 'src', 'cli.js'));
  t.equal(argv[1], 'serve');
  const flag = (name: string): string | undefined => argv[argv.indexOf(name) + 1];
  t.equal(flag('--port'), '41000');
  t.equal(flag('--kafka-topic'), 'bench-x');
  t.equal(flag('--kafka-group-id'), 'bench-x-writers');
  t.equal(flag('--queue'), 'kafka');
  t.notOk(argv.includes('--role'));
  t.notOk(argv.includes('--kafka-brokers'));
  t.same(argv.slice(-2), ['--log-level', 'info']);
  const api = serviceArgv('/repo', { ...SETTINGS, role: 'api', kafkaBrokers: 'b:9092' });
  t.equal(api[api.indexOf('--role') + 1], 'api');
  t.equal(api[api.indexOf('--kafka-brokers') + 1], 'b:9092');
});

t.test('the clinic command line of each tool', async (t) => {
  const service = ['/repo/dist/src/cli.js', 'serve', '--port', '1'];
  for (const tool of ['doctor', 'flame', 'bubbleprof'] as const) {
    const c = profileCommand(tool, '/repo/.clinic/x', service, '/repo/node_modules/clinic/bin.js', '/usr/bin/node');
    t.equal(c.command, '/usr/bin/node', `${tool}: clinic runs on the current node`);
    t.same(c.args, ['/repo/node_modules/clinic/bin.js', tool, '--open=false', '--dest', '/repo/.clinic/x', '--', '/usr/bin/node', ...service], tool);
    t.equal(c.env['NO_INSIGHT'], '1', `${tool}: without it clinic exits 0 at once when stdin is not a terminal`);
    t.equal(c.wrapped, true);
  }
  const cpu = profileCommand('cpuprof', '/d', service, '/clinic.js', '/usr/bin/node');
  t.same([cpu.command, ...cpu.args], ['/usr/bin/node', '--cpu-prof', '--cpu-prof-dir', '/d', ...service]);
  t.equal(cpu.wrapped, false);
  t.same(visualizeCommand('bubbleprof', '/d/12.clinic-bubbleprof', '/clinic.js', '/usr/bin/node').args, ['/clinic.js', 'bubbleprof', '--visualize-only', '/d/12.clinic-bubbleprof']);
});

t.test('clinic wants a program called node', async (t) => {
  t.equal(innerNode('/usr/local/bin/node'), '/usr/local/bin/node');
  t.equal(innerNode('C:\\node\\node.exe'.replace(/\\/g, '/')), 'C:/node/node.exe');
  t.equal(innerNode('/opt/node20/bin/nodejs'), 'node');
});

t.test('run folders and the files found in them', async (t) => {
  t.equal(runDir('/r/.clinic', 'flame', new Date('2026-11-23T10:31:02.123Z')), join('/r/.clinic', 'flame-2026-11-23T10-31-02Z'));
  const names = ['profile.log', '123.clinic-doctor', '123.clinic-doctor.html', '9.clinic-flame.html', 'node_trace.1.log'];
  t.same(reportFiles('doctor', names), ['123.clinic-doctor.html']);
  t.same(reportFiles('bubbleprof', names), []);
  t.same(dataDirs('doctor', names), ['123.clinic-doctor']);
  const profiles = ['CPU.20261123.103102.777.0.001.cpuprofile', 'CPU.20261123.103102.777.1.002.cpuprofile', 'x.cpuprofile'];
  t.same(reportFiles('cpuprof', profiles), ['CPU.20261123.103102.777.0.001.cpuprofile'], 'only the main thread (thread id 0)');
});

t.test('the parent pid of a /proc stat line, even with spaces and parentheses in the command', async (t) => {
  t.equal(parentPid('4242 (node) S 4100 4242 4100 0 -1 4194560'), 4100);
  t.equal(parentPid('77 (a (b) c) R 12 77 77 0'), 12);
  t.equal(parentPid('garbage'), undefined);
});

t.test('rotated trace logs are joined into one object with every event, in rotation order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'profile-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const event = (n: number): string => `{"pid":1,"tid":1,"ts":${n},"ph":"b","name":"E${n}"}`;
  writeFileSync(join(dir, 'node_trace.10.log'), `{"traceEvents":[${event(3)}]}`);
  writeFileSync(join(dir, 'node_trace.2.log'), `{"traceEvents":[${event(2)}]}`);
  writeFileSync(join(dir, 'node_trace.1.log'), `{"traceEvents":[${event(0)},${event(1)}]}`);
  writeFileSync(join(dir, 'node_trace.3.log'), '{"traceEvents":[]}');
  t.same(traceFiles(readdirSync(dir)), ['node_trace.1.log', 'node_trace.2.log', 'node_trace.3.log', 'node_trace.10.log']);
  const out = join(dir, 'joined');
  t.equal(joinTraceFiles(dir, out), 4);
  const joined = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { name: string }[] };
  t.same(joined.traceEvents.map((e) => e.name), ['E0', 'E1', 'E2', 'E3']);
  t.same(traceFiles(readdirSync(dir)), [], 'the rotated files are gone');
  t.throws(() => traceEventsBody(Buffer.from('[1,2]')), /not a trace-event log/);
});

t.test('CPU profile: self time per frame within the window, grouped by package', async (t) => {
  const frame = (id: number, functionName: string, url: string): CpuProfile['nodes'][number] => ({ id, callFrame: { functionName, url, lineNumber: 9, columnNumber: 0 } });
  const profile: CpuProfile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, 'handle', 'file:///repo/dist/src/http/router.js'),
      frame(3, 'returnReply', 'file:///repo/node_modules/ioredis/built/DataHandler.js'),
      frame(4, '(garbage collector)', ''),
      frame(5, '(idle)', ''),
    ],
    startTime: 1_000_000,
    endTime: 1_010_000,
    // Samples at 1, 2, 3, 4, 5, 6 ms; each stands for the time until the next one.
    samples: [5, 2, 2, 3, 4, 5],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000],
  };
  const all = summarizeProfile(profile, undefined, '/repo/');
  t.equal(all.totalMs, 5, 'the last sample has no duration');
  t.same(all.frames.slice(0, 1), [{ frame: 'handle dist/src/http/router.js:10', group: 'ours (dist/src)', selfMs: 2, pct: 40 }]);
  const window = summarizeProfile(profile, { fromMs: 2, toMs: 4 }, '/repo/');
  t.equal(window.totalMs, 2);
  t.same(window.groups.map((g) => [g.group, g.pct]), [['ours (dist/src)', 100]]);
  t.equal(groupOf({ functionName: 'parse', url: 'file:///r/node_modules/redis-parser/lib/parser.js', lineNumber: 0, columnNumber: 0 }), 'ioredis');
  t.equal(groupOf({ functionName: 'x', url: 'file:///r/node_modules/kafkajs/src/producer/index.js', lineNumber: 0, columnNumber: 0 }), 'kafkajs');
  t.equal(groupOf({ functionName: 'x', url: 'file:///r/node_modules/uWebSockets.js/uws.js', lineNumber: 0, columnNumber: 0 }), 'uWebSockets.js');
  t.equal(groupOf({ functionName: 'x', url: 'file:///r/node_modules/pino/lib/tools.js', lineNumber: 0, columnNumber: 0 }), 'pino');
  t.equal(groupOf({ functionName: 'x', url: 'node:internal/streams/writable', lineNumber: 0, columnNumber: 0 }), 'node core');
  t.equal(groupOf({ functionName: '(garbage collector)', url: '', lineNumber: 0, columnNumber: 0 }), 'GC');
  t.equal(groupOf({ functionName: 'writeStatus', url: '', lineNumber: 0, columnNumber: 0 }), 'native / V8 builtin');
});
