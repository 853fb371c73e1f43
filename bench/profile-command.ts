/**
 * The command lines of a profile run, built without side effects (pure): the service's own flags
 * (as bench/service.ts starts it) and the clinic (or `node --cpu-prof`) line around them.
 */
import { basename, join } from 'node:path';
import type { Queue } from './options.js';
import type { ProfileTool } from './profile-options.js';
import { stamp } from './results.js';

export interface ServiceSettings {
  readonly port: number;
  readonly adminToken: string;
  readonly queue: Queue;
  readonly topic: string;
  readonly groupId: string;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string | undefined;
  /** Omitted: the service default (all). */
  readonly role?: 'all' | 'api' | 'consumer';
  readonly extraArgs: readonly string[];
}

export interface ProfileCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the environment: without NO_INSIGHT clinic asks on a TTY-less stdin whether it may send usage data, and quietly exits 0. */
  readonly env: Readonly<Record<string, string>>;
  /** True when clinic runs the service as its child; false when the command is the service itself. */
  readonly wrapped: boolean;
}

const CLINIC_ENV: Readonly<Record<string, string>> = { NO_INSIGHT: '1', NO_UPDATE_NOTIFIER: '1' };

/**
 * The service's command line after `node`. The path is absolute: clinic runs in the run's
 * folder, since doctor and bubbleprof collect the service's `node_trace.*.log` files from
 * the working directory (and a failed run would leave them in the repository).
 */
export function serviceArgv(packageRoot: string, settings: ServiceSettings): string[] {
  const args = [
    join(packageRoot, 'dist', 'src', 'cli.js'), 'serve',
    '--host', '127.0.0.1', '--port', String(settings.port), '--admin-token', settings.adminToken,
    '--queue', settings.queue, '--kafka-topic', settings.topic, '--kafka-group-id', settings.groupId,
    '--mysql-url', settings.mysqlUrl, '--redis-url', settings.redisUrl, '--log-level', 'warn',
  ];
  if (settings.kafkaBrokers !== undefined) args.push('--kafka-brokers', settings.kafkaBrokers);
  if (settings.role !== undefined) args.push('--role', settings.role);
  args.push(...settings.extraArgs);
  return args;
}

/** clinic accepts only a command whose program is called `node`: the running binary when it is, else `node` from PATH. */
export function innerNode(execPath: string): string {
  return /^node(\.exe)?$/.test(basename(execPath)) ? execPath : 'node';
}

/** The run's own output folder: <root>/<tool>-<UTC timestamp>. */
export function runDir(root: string, tool: ProfileTool, date: Date = new Date()): string {
  return join(root, `${tool}-${stamp(date)}`);
}

/**
 * `node <clinic> <tool> --open=false --dest <dir> -- node <service argv>` for the clinic
 * tools; `node --cpu-prof --cpu-prof-dir <dir> <service argv>` for cpuprof.
 */
export function profileCommand(tool: ProfileTool, dest: string, service: readonly string[], clinicBin: string, execPath: string): ProfileCommand {
  const node = innerNode(execPath);
  if (tool === 'cpuprof') {
    return { command: node, args: ['--cpu-prof', '--cpu-prof-dir', dest, ...service], env: {}, wrapped: false };
  }
  return {
    command: execPath,
    args: [clinicBin, tool, '--open=false', '--dest', dest, '--', node, ...service],
    env: CLINIC_ENV,
    wrapped: true,
  };
}

/** `node <clinic> <tool> --visualize-only <data dir>`: the HTML report from collected data, written beside it (see profile-trace.ts). */
export function visualizeCommand(tool: ProfileTool, dataDir: string, clinicBin: string, execPath: string): ProfileCommand {
  return { command: execPath, args: [clinicBin, tool, '--visualize-only', dataDir], env: CLINIC_ENV, wrapped: false };
}

/** clinic's data folders in a run's folder: `<pid>.clinic-<tool>`. */
export function dataDirs(tool: ProfileTool, names: readonly string[]): string[] {
  return names.filter((name) => name.endsWith(`.clinic-${tool}`)).sort();
}

/** The report files a finished run leaves in its folder: clinic's `<pid>.clinic-<tool>.html`, or the main thread's CPU profile. */
export function reportFiles(tool: ProfileTool, names: readonly string[]): string[] {
  if (tool === 'cpuprof') {
    // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
    return names.filter((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name)).sort();
  }
  return names.filter((name) => name.endsWith(`.clinic-${tool}.html`)).sort();
}
