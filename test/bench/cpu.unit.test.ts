/** CPU from /proc text: stat lines, listening sockets, system calls, the service's threads, and the per-request report. */
import t from 'tap';
import { classifyThreads, cpuReport, listeningInodes, machineTicks, socketInode, statTicks, syscallNumber, type CpuSample } from '../../bench/cpu.js';
import { localPort } from '../../bench/cpu-probe.js';

/** A /proc/<pid>/stat line with utime 250 and stime 40 (fields 14 and 15). */
const STAT = '16498 (cat) R 16496 16496 4942 0 -1 4194304 101 0 0 0 250 40 0 0 20 0 1 0 303778 3133440 415 18446744073709551615 0 0 0';

t.test('utime + stime from a stat line, whatever the command name holds', async (t) => {
  t.equal(statTicks(STAT), 290);
  t.equal(statTicks(STAT.replace('(cat)', '(a b) (c)')), 290, 'spaces and parentheses in the name');
  t.equal(statTicks('12 (x) S 1'), undefined, 'a cut-off line');
  t.equal(statTicks(''), undefined);
});

t.test('listening sockets by port, IPv4 and IPv6', async (t) => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 462122 1 00000000a3751f85 100 0 0 10 0',
    '   1: 0100007F:18EB 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   999        0 462999 1 00000000a3751f85 100 0 0 10 0',
    '   2: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 462114 1 000000001ce74ce5 100 0 0 10 0',
  ].join('\n');
  t.same(listeningInodes(tcp, 6379), [462122], 'port 0x18EB listening; the established connection on it is not');
  t.same(listeningInodes(tcp, 3306), [462114]);
  t.same(listeningInodes(tcp, 9092), []);
  const tcp6 = '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:2384 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 0 100 0 0 10 0';
  t.same(listeningInodes(tcp6, 9092), [77]);
  t.equal(socketInode('socket:[462122]'), 462122);
  t.equal(socketInode('/dev/null'), undefined);
  t.equal(socketInode('pipe:[5]'), undefined);
});

t.test('a thread\'s system call, and where each of the service\'s threads belongs', async (t) => {
  t.equal(syscallNumber('281 0x3 0x7f8d75bca000 0x20000 0x0 0x0 0x0 0x7ffd2b4efef8 0x7f8d75d452ad\n'), 281);
  t.equal(syscallNumber('running\n'), undefined);
  t.equal(syscallNumber(''), undefined);
  // A Node 20 service: main 100, the platform's loop thread 101, V8 helpers 102-105 (futex),
  // two writer threads 110 and 111 (epoll_pwait), a libuv pool thread 112, one caught running.
  const threads = [
    { tid: 100, syscall: 0 }, { tid: 101, syscall: 281 }, ...[102, 103, 104, 105].map((tid) => ({ tid, syscall: 202 })),
    { tid: 111, syscall: 281 }, { tid: 110, syscall: 232 }, { tid: 112, syscall: 202 }, { tid: 113, syscall: undefined },
  ];
  const groups = classifyThreads(100, threads, 'x64');
  t.equal(groups.get(100), 'main', 'the thread whose id is the pid, whatever it is doing');
  t.equal(groups.get(101), 'helpers', 'the lowest event-loop thread is Node\'s own');
  t.same([110, 111].map((tid) => groups.get(tid)), ['workers', 'workers']);
  t.same([102, 112, 113].map((tid) => groups.get(tid)), ['helpers', 'helpers', 'helpers']);
  t.equal(classifyThreads(100, threads, 'arm64').get(110), 'helpers', 'syscall numbers are per architecture');
  t.equal(classifyThreads(100, [{ tid: 100, syscall: 281 }, { tid: 101, syscall: 281 }], 'x64').get(101), 'helpers', 'no worker threads (role api)');
});

t.test('the machine\'s busy and softirq ticks', async (t) => {
  t.same(machineTicks('cpu  279382 332 54254 256768 769 0 9478 102 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n'), { busy: 279382 + 332 + 54254 + 9478 + 102, softirq: 9478 });
  t.equal(machineTicks('cpu0 1 2 3\n'), undefined);
  t.equal(machineTicks('cpu  1 2 3\n'), undefined, 'too few fields');
});

t.test('two samples make CPU ms and microseconds per request per group', async (t) => {
  const sample = (atMs: number, groups: [string, number[], [string, number][]][]): CpuSample => ({ atMs, groups: new Map(groups.map(([name, pids, ticks]) => [name, { pids, ticks: new Map(ticks) }])) });
  const before = sample(1000, [['service main thread', [100], [['100/100', 500]]], ['service worker threads', [100], [['100/110', 10], ['100/111', 20]]], ['Kafka', [], []]]);
  const after = sample(3500, [
    ['service main thread', [100], [['100/100', 600]]],
    // 111 exited in the window (its ticks are lost); 114 started in it (all of its ticks count).
    ['service worker threads', [100], [['100/110', 30], ['100/114', 5]]],
    ['Kafka', [], []],
  ]);
  const report = cpuReport(before, after, 5000, 100);
  t.equal(report.windowMs, 2500);
  t.equal(report.requests, 5000);
  t.same(report.groups[0], { name: 'service main thread', pids: [100], cpuMs: 1000, usPerRequest: 200 }, '100 ticks of 10 ms over 5,000 requests');
  t.same(report.groups[1], { name: 'service worker threads', pids: [100], cpuMs: 250, usPerRequest: 50 });
  t.same(report.groups[2], { name: 'Kafka', pids: [], cpuMs: null, usPerRequest: null }, 'not found is null, not 0');
  t.equal(cpuReport(before, after, 0, 100).groups[0]?.usPerRequest, null, 'no requests, no per-request figure');
});

t.test('which addresses are on this machine', async (t) => {
  t.equal(localPort('redis://127.0.0.1:6380', 6379), 6380);
  t.equal(localPort('redis://localhost', 6379), 6379, 'the default port');
  t.equal(localPort('mysql://root@127.0.0.1:3306/flash_coupon', 3306), 3306);
  t.equal(localPort('127.0.0.1:9092', 9092), 9092, 'a broker without a scheme');
  t.equal(localPort('http://[::1]:8080', 80), 8080);
  t.equal(localPort('redis://cache.internal:6379', 6379), undefined, 'elsewhere: not ours to measure');
  t.equal(localPort('::not a url', 1), undefined);
});
