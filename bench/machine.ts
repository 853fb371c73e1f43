/** Where and when a result was measured: machine, Node version, date and git commit. */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';
import { PACKAGE_ROOT } from '../src/paths.js';

export interface RunContext {
  readonly date: string;
  readonly commit: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGiB: number; readonly node: string; readonly os: string };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PACKAGE_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function runContext(): RunContext {
  const list = cpus();
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: {
      cpus: list.length,
      cpuModel: list[0]?.model.trim() ?? 'unknown',
      memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      os: `${platform()} ${release()}`,
    },
  };
}
