/**
 * A private cluster stack for one test: `npm run stack -- up --kafka-brokers 3
 * --redis-cluster` run as a user runs it (the built command), on the test's own ports and a
 * temporary stack folder, so the shared services are never touched; `down` in teardown.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PidFiles } from '../../scripts/stack/processes.js';

const run = promisify(execFile);
const STACK = fileURLToPath(new URL('../../scripts/stack.js', import.meta.url));

export interface ClusterStack {
  /** The `export NAME=value` lines `up` printed, as an environment. */
  exports: Record<string, string>;
  /** Everything `up` printed. */
  output: string;
  dir: string;
  pids: PidFiles;
  /** Runs another stack command on this stack (`up` again restarts members that died). */
  command(name: 'up' | 'status' | 'down', extra?: string[]): Promise<string>;
  destroy(): Promise<void>;
}

export async function upClusterStack(kafkaPort: number, redisPort: number): Promise<ClusterStack> {
  const dir = mkdtempSync(join(tmpdir(), 'fc-cluster-stack-'));
  const where = ['--stack-dir', dir, '--stack-kafka-port', String(kafkaPort), '--stack-redis-cluster-port', String(redisPort)];
  const command = async (name: string, extra: string[] = []): Promise<string> => {
    const { stdout } = await run(process.execPath, [STACK, name, ...extra, ...where], { timeout: 240000, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  };
  let output: string;
  try {
    output = await command('up', ['--kafka-brokers', '3', '--redis-cluster']);
  } catch (err) {
    await command('down').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const exports = Object.fromEntries([...output.matchAll(/^export ([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  return {
    exports,
    output,
    dir,
    pids: new PidFiles(dir),
    command,
    async destroy() {
      await command('down').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
