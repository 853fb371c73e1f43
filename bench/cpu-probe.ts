/**
 * `--cpu`: finds the processes of a run (the service's, by pid or by the port it listens on;
 * Redis, Kafka and MariaDB by the port in their URL, or by name when that finds exactly one;
 * the load generator is this process) and reads their CPU ticks from /proc before and after
 * the measured window. Linux only; what is not found is reported as such, not guessed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyThreads, cpuReport, listeningInodes, machineTicks, socketInode, statTicks, syscallNumber, type CpuReport, type CpuSample, type ThreadGroup } from './cpu.js';

export const GROUPS = {
  main: 'service main thread',
  workers: 'service worker threads',
  helpers: 'service other threads',
  redis: 'Redis',
  kafka: 'Kafka',
  mariadb: 'MariaDB',
  load: 'load generator',
  machine: 'machine busy',
  softirq: 'machine softirq',
} as const;

export interface CpuTargets {
  /** Service pids when this bench started them. */
  readonly servicePids: readonly number[];
  /** Front doors to find by port when the pids are not known. */
  readonly serviceUrls: readonly string[];
  readonly redisUrl: string;
  readonly mysqlUrl: string;
  readonly kafkaBrokers: readonly string[];
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

const pidsOf = (): number[] => {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [];
  }
};

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '0.0.0.0']);

/** host and port of "redis://h:p", "mysql://u@h:p/db", "http://h:p" or "h:p"; undefined unless the host is this machine. */
export function localPort(address: string, defaultPort: number): number | undefined {
  let url: URL;
  try {
    url = new URL(address.includes('://') ? address : `tcp://${address}`);
  } catch {
    return undefined;
  }
  if (!LOCAL.has(url.hostname)) return undefined;
  return url.port === '' ? defaultPort : Number(url.port);
}

/** Processes with a socket listening on `port` (several share a port with SO_REUSEPORT). */
function listeners(port: number): number[] {
  const inodes = new Set([...listeningInodes(read('/proc/net/tcp') ?? '', port), ...listeningInodes(read('/proc/net/tcp6') ?? '', port)]);
  if (inodes.size === 0) return [];
  return pidsOf().filter((pid) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        const inode = socketInode(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return inode !== undefined && inodes.has(inode);
      } catch {
        return false;
      }
    });
  });
}

/** The one process whose command line matches; none when there are several (another developer's instance is not ours to guess). */
function onlyNamed(pattern: RegExp): number[] {
  const found = pidsOf().filter((pid) => pattern.test((read(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ')));
  return found.length === 1 ? found : [];
}

function find(addresses: readonly string[], defaultPort: number, name?: RegExp): number[] {
  const ports = addresses.map((a) => localPort(a, defaultPort)).filter((p): p is number => p !== undefined);
  const byPort = [...new Set(ports.flatMap(listeners))];
  if (byPort.length > 0 || ports.length === 0 || name === undefined) return byPort;
  return onlyNamed(name);
}

function clockTicks(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

export class CpuProbe {
  private readonly threadGroups = new Map<string, ThreadGroup>();
  private before: Reading | undefined;

  private constructor(
    private readonly pids: Readonly<Record<'service' | 'redis' | 'kafka' | 'mariadb' | 'load', readonly number[]>>,
    private readonly ticksPerSecond: number,
  ) {}

  static locate(targets: CpuTargets): CpuProbe {
    const service = targets.servicePids.length > 0 ? [...targets.servicePids] : [...new Set(targets.serviceUrls.flatMap((u) => find([u], 80)))];
    return new CpuProbe(
      {
        service,
        redis: find([targets.redisUrl], 6379, /^redis-server /),
        kafka: find(targets.kafkaBrokers, 9092, /^\S*java .*kafka\.Kafka /),
        mariadb: find([targets.mysqlUrl], 3306, /^\S*(mariadbd|mysqld)( |$)/),
        load: [process.pid],
      },
      clockTicks(),
    );
  }

  /** Which pids were found for each group, for the log. */
  describe(): string {
    return Object.entries(this.pids).map(([name, pids]) => `${name} ${pids.length === 0 ? 'not found' : pids.join(',')}`).join('; ');
  }

  /** Sorts the service's threads while it is idle, then takes the first reading. */
  async start(): Promise<void> {
    await this.classify();
    this.mark();
  }

  /**
   * The first reading, before the threads are sorted: for a process already busy when the
   * window opens (a consumer draining a backlog); call classify() once it is idle again,
   * before stop(). Readings keep each thread's ticks, and are grouped when reported.
   */
  mark(): void {
    this.before = this.read();
  }

  /** Places each thread of the service in a group; run while the service is idle. */
  async classify(): Promise<void> {
    for (const pid of this.pids.service) {
      // A thread caught running cannot be placed: ask again a few times.
      for (let attempt = 0; attempt < 5; attempt++) {
        const threads = this.tids(pid).map((tid) => ({ tid, syscall: syscallNumber(read(`/proc/${pid}/task/${tid}/syscall`) ?? '') }));
        const unplaced = threads.filter((t) => t.syscall === undefined && t.tid !== pid).length;
        for (const [tid, group] of classifyThreads(pid, threads, process.arch)) this.threadGroups.set(`${pid}/${tid}`, group);
        if (unplaced === 0) break;
        await sleep(20);
      }
    }
  }

  /** How many of the service's threads went to each group, for the log. */
  threadCounts(): string {
    const counts = { main: 0, workers: 0, helpers: 0 };
    for (const group of this.threadGroups.values()) counts[group]++;
    return `service threads: ${counts.main} main, ${counts.workers} worker, ${counts.helpers} other`;
  }

  /** CPU from the first reading to now, per request (or per whatever `requests` counts). */
  stop(requests: number): CpuReport {
    if (this.before === undefined) throw new Error('CpuProbe.stop before start');
    return cpuReport(this.grouped(this.before), this.grouped(this.read()), requests, this.ticksPerSecond);
  }

  private tids(pid: number): number[] {
    try {
      return readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return [];
    }
  }

  /** Ticks of every service thread, every other process and the machine, not yet grouped. */
  private read(): Reading {
    const ticks = new Map<string, number | undefined>();
    for (const pid of this.pids.service) {
      for (const tid of this.tids(pid)) ticks.set(`${pid}/${tid}`, statTicks(read(`/proc/${pid}/task/${tid}/stat`) ?? ''));
    }
    for (const part of ['redis', 'kafka', 'mariadb', 'load'] as const) {
      for (const pid of this.pids[part]) ticks.set(`${part}:${pid}`, statTicks(read(`/proc/${pid}/stat`) ?? ''));
    }
    const machine = machineTicks(read('/proc/stat') ?? '');
    ticks.set('machine', machine?.busy);
    ticks.set('softirq', machine?.softirq);
    return { atMs: performance.now(), ticks };
  }

  /** A reading sorted into groups by what is known of the threads now (unplaced: helpers). */
  private grouped(reading: Reading): CpuSample {
    const groups = new Map<string, { pids: readonly number[]; ticks: Map<string, number> }>();
    const add = (name: string, pids: readonly number[], key: string, ticks: number | undefined): void => {
      const entry = groups.get(name) ?? { pids, ticks: new Map<string, number>() };
      if (ticks !== undefined) entry.ticks.set(key, ticks);
      groups.set(name, entry);
    };
    const service = this.pids.service;
    for (const name of [GROUPS.main, GROUPS.workers, GROUPS.helpers]) add(name, service, '', undefined);
    for (const [key, ticks] of reading.ticks) {
      if (/^\d+\/\d+$/.test(key)) add(GROUPS[this.threadGroups.get(key) ?? 'helpers'], service, key, ticks);
    }
    for (const part of ['redis', 'kafka', 'mariadb', 'load'] as const) {
      const pids = this.pids[part];
      add(GROUPS[part], pids, '', undefined);
      for (const pid of pids) add(GROUPS[part], pids, String(pid), reading.ticks.get(`${part}:${pid}`));
    }
    add(GROUPS.machine, [], 'all', reading.ticks.get('machine'));
    add(GROUPS.softirq, [], 'all', reading.ticks.get('softirq'));
    // An empty key was only there to create the group in a fixed order.
    for (const entry of groups.values()) entry.ticks.delete('');
    return { atMs: reading.atMs, groups };
  }
}

interface Reading {
  readonly atMs: number;
  readonly ticks: ReadonlyMap<string, number | undefined>;
}
