/**
 * The profiled process: clinic (or `node --cpu-prof`) started with the service inside it,
 * and the one way to stop it that leaves a report: one SIGINT to the service itself, as
 * Ctrl+C would send, after which clinic sees its child exit and writes the report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProfileCommand } from './profile-command.js';

export interface Profiled {
  readonly pid: number;
  /** Settles with how the outer process ended ("exit code 0", "signal SIGKILL"). */
  readonly exited: Promise<string>;
  /** One SIGINT to the service, then waits for the outer process (clinic's analysis included). */
  stop(analysisTimeoutMs: number): Promise<string>;
}

/** How long the service may take to flush and exit after SIGINT before it gets a second one. */
const SERVICE_GRACE_MS = 30_000;

/** The parent pid in a /proc/<pid>/stat line (the field after the state, after the command in parentheses). */
export function parentPid(statLine: string): number | undefined {
  const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Children of `pid` whose command line contains `needle` (Linux /proc; empty elsewhere). */
export function childrenRunning(pid: number, needle: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries
    .map(Number)
    .filter((candidate) => {
      const stat = read(`/proc/${candidate}/stat`);
      if (stat === undefined || parentPid(stat) !== pid) return false;
      return (read(`/proc/${candidate}/cmdline`) ?? '').split('\0').some((arg) => arg.includes(needle));
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs `command` in `cwd` (made if missing), its output appended to `logFile`. */
export function startProfiled(command: ProfileCommand, logFile: string, cwd: string): Profiled {
  mkdirSync(cwd, { recursive: true });
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(command.command, [...command.args], {
    cwd,
    env: { ...process.env, ...command.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const pid = child.pid ?? -1;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal === null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (err) => resolve(err.message));
  });
  let ended: string | undefined;
  void exited.then((why) => {
    ended = why;
  });

  const stop = async (analysisTimeoutMs: number): Promise<string> => {
    if (ended !== undefined) return ended;
    // With clinic the service is clinic's child; with --cpu-prof it is the process itself.
    // Signalling clinic instead would not do: clinic flame (0x) ignores its first SIGINT
    // and on the second kills the service with SIGTERM.
    const service = command.wrapped ? childrenRunning(pid, 'cli.js') : [pid];
    if (service.length === 0) {
      // Not on Linux, or the service is gone already: clinic doctor and bubbleprof relay one SIGINT.
      child.kill('SIGINT');
    }
    for (const servicePid of service) process.kill(servicePid, 'SIGINT');
    const serviceDeadline = Date.now() + SERVICE_GRACE_MS;
    while (service.some(alive) && ended === undefined && Date.now() < serviceDeadline) await sleep(100);
    for (const servicePid of service.filter(alive)) process.kill(servicePid, 'SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), analysisTimeoutMs);
    try {
      return await exited;
    } finally {
      clearTimeout(killer);
    }
  };
  return { pid, exited, stop };
}
