/** Small process and port helpers for the stack manager. */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

export function portAnswers(host: string, port: number, timeoutMs = 700): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function findBinary(names: string[], extraDirs: string[] = ['/usr/sbin', '/usr/local/sbin', '/sbin']): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...extraDirs].filter((dir) => dir !== '');
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pid files record what `up` started, so `down` stops exactly that and nothing else. */
export class PidFiles {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private path(name: string): string {
    return join(this.dir, `${name}.pid`);
  }

  read(name: string): number | undefined {
    const path = this.path(name);
    if (!existsSync(path)) return undefined;
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** The recorded pid if that process still runs; a stale file is removed. */
  running(name: string): number | undefined {
    const pid = this.read(name);
    if (pid === undefined) return undefined;
    if (isAlive(pid)) return pid;
    this.remove(name);
    return undefined;
  }

  /** Every name with a pid file, whether or not its process still runs. */
  names(): string[] {
    return readdirSync(this.dir).filter((file) => file.endsWith('.pid')).map((file) => file.slice(0, -'.pid'.length));
  }

  write(name: string, pid: number): void {
    writeFileSync(this.path(name), `${pid}\n`);
  }

  remove(name: string): void {
    rmSync(this.path(name), { force: true });
  }
}

/** Starts a long-running process in its own process group, detached from this one. */
export function startDetached(command: string, args: string[], logFile: string, cwd?: string): number {
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], cwd });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** SIGTERM to the whole group, then SIGKILL if it has not gone within the grace time. */
export async function stopGroup(pid: number, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, alive?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    if (alive !== undefined && !alive()) throw new Error(`${what} exited while starting`);
    await sleep(300);
  }
  throw new Error(`${what} was not ready within ${Math.round(timeoutMs / 1000)} s`);
}
