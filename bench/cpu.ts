/**
 * Pure: CPU time from Linux /proc text. Parses a process's or thread's stat line, the
 * listening sockets of /proc/net/tcp, a thread's current system call and the machine's
 * /proc/stat line, sorts the service's threads into groups, and turns two samples into CPU
 * microseconds per request for each group. bench/cpu-probe.ts reads the files.
 */

/** utime + stime of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat line, in clock ticks. */
export function statTicks(statLine: string): number | undefined {
  // The command sits in parentheses and may itself hold spaces and ')': fields start after the last ')'.
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isInteger(utime) && Number.isInteger(stime) ? utime + stime : undefined;
}

/** Socket inodes listening on `port` in /proc/net/tcp or /proc/net/tcp6 text. */
export function listeningInodes(procNetTcp: string, port: number): number[] {
  const inodes: number[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    if (local === undefined || cols[3] !== '0A') continue; // 0A: TCP_LISTEN
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) !== port) continue;
    const inode = Number(cols[9]);
    if (Number.isInteger(inode) && inode > 0) inodes.push(inode);
  }
  return inodes;
}

/** The inode of a /proc/<pid>/fd/<n> link to a socket ("socket:[12345]"). */
export function socketInode(link: string): number | undefined {
  const match = /^socket:\[(\d+)\]$/.exec(link);
  return match === null ? undefined : Number(match[1]);
}

/** The system call number in /proc/<pid>/task/<tid>/syscall; undefined when running or unreadable. */
export function syscallNumber(text: string): number | undefined {
  const first = text.trim().split(' ')[0];
  return first !== undefined && /^\d+$/.test(first) ? Number(first) : undefined;
}

/** epoll_wait, epoll_pwait, epoll_pwait2: where an idle libuv event loop sleeps. */
const EVENT_LOOP_SYSCALLS: Readonly<Record<string, readonly number[]>> = {
  x64: [232, 281, 441],
  arm64: [22, 441],
};

export type ThreadGroup = 'main' | 'workers' | 'helpers';

/**
 * Every thread of a Node process is called "node", so the service's threads are told apart
 * by where they sleep while the service is idle: the main thread is the one whose id is the
 * pid; the other threads asleep in epoll run a libuv event loop, which in Node 20 is Node's
 * own platform thread (created at start-up, so the lowest such id) and each worker thread
 * (the Piscina batch writers, and front-door threads where there are any). Everything else
 * (V8's GC and compiler helpers, libuv's pool) is a helper; so is a thread that was running
 * when asked, since it cannot be placed.
 */
export function classifyThreads(pid: number, threads: readonly { tid: number; syscall: number | undefined }[], arch: string): Map<number, ThreadGroup> {
  const loops = EVENT_LOOP_SYSCALLS[arch] ?? [];
  const sleepingInEpoll = threads.filter((t) => t.tid !== pid && t.syscall !== undefined && loops.includes(t.syscall)).map((t) => t.tid).sort((a, b) => a - b);
  const workers = new Set(sleepingInEpoll.slice(1));
  return new Map(threads.map((t) => [t.tid, t.tid === pid ? 'main' : workers.has(t.tid) ? 'workers' : 'helpers']));
}

/** Busy and softirq ticks of all CPUs from the first ("cpu ") line of /proc/stat. */
export function machineTicks(procStat: string): { busy: number; softirq: number } | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  const values = [user, nice, system, idle, iowait, irq, softirq, steal];
  if (values.some((v) => v === undefined || !Number.isFinite(v))) return undefined;
  const [u, n, s, , , i, si, st] = values as number[];
  return { busy: u + n + s + i + si + st, softirq: si };
}

/** One reading: ticks per counted thing ("pid", "pid/tid", "all" for the machine), grouped; a group with none was not found. */
export interface CpuSample {
  readonly atMs: number;
  readonly groups: ReadonlyMap<string, { readonly pids: readonly number[]; readonly ticks: ReadonlyMap<string, number> }>;
}

export interface CpuGroup {
  readonly name: string;
  readonly pids: readonly number[];
  /** null: nothing of the group was found (its process is elsewhere, or not running). */
  readonly cpuMs: number | null;
  readonly usPerRequest: number | null;
}

export interface CpuReport {
  readonly windowMs: number;
  readonly requests: number;
  readonly clockTicksPerSecond: number;
  readonly groups: readonly CpuGroup[];
}

/** CPU between two samples per group, in ms and in microseconds per request (to 0.1). */
export function cpuReport(before: CpuSample, after: CpuSample, requests: number, ticksPerSecond: number): CpuReport {
  const groups = [...after.groups.entries()].map(([name, now]): CpuGroup => {
    if (now.ticks.size === 0) return { name, pids: now.pids, cpuMs: null, usPerRequest: null };
    const then = before.groups.get(name)?.ticks ?? new Map<string, number>();
    // A thread seen only at the end started in the window: all its ticks count.
    let ticks = 0;
    for (const [key, value] of now.ticks) ticks += Math.max(0, value - (then.get(key) ?? 0));
    const cpuMs = (ticks * 1000) / ticksPerSecond;
    return { name, pids: now.pids, cpuMs, usPerRequest: requests > 0 ? Math.round((cpuMs * 10_000) / requests) / 10 : null };
  });
  return { windowMs: Math.round(after.atMs - before.atMs), requests, clockTicksPerSecond: ticksPerSecond, groups };
}
