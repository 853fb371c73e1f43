/**
 * A Debian package that the stack or the tests need, installed on demand with apt-get the
 * way the stack fetches Kafka: nothing happens when its binary is already there; otherwise,
 * as root with apt-get available, `apt-get update` then a quiet non-interactive install;
 * anywhere else it stops with a message that names what to install.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { findBinary } from './processes.js';

const execFileAsync = promisify(execFile);

/** Runs a command to completion; rejects when it fails. */
export type CommandRunner = (command: string, args: readonly string[], env: NodeJS.ProcessEnv) => Promise<void>;

/** What ensureDebianPackage asks of the machine; tests replace any of it. */
export interface DebianSystem {
  exists: (path: string) => boolean;
  isRoot: () => boolean;
  /** The apt-get binary, or undefined when there is none. */
  aptGet: () => string | undefined;
  run: CommandRunner;
}

const runCommand: CommandRunner = async (command, args, env) => {
  try {
    await execFileAsync(command, [...args], { env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const stderr = ((err as { stderr?: string }).stderr ?? '').trim().split('\n').slice(-10).join('\n');
    throw new Error(`${command} ${args.join(' ')} failed${stderr === '' ? `: ${(err as Error).message}` : `:\n${stderr}`}`);
  }
};

export const debianSystem: DebianSystem = {
  exists: existsSync,
  isRoot: () => process.getuid?.() === 0,
  aptGet: () => findBinary(['apt-get']),
  run: runCommand,
};

export interface DebianPackageOptions {
  /** Who needs it, for the messages (e.g. "the dashboard browser test"). */
  neededFor?: string;
  /** Told one line: the binary found, or (before the install starts) that it is being installed. */
  say?: (line: string) => void;
  system?: Partial<DebianSystem>;
}

/** Makes sure `binaryPath` exists, installing Debian package `name` when it does not. */
export async function ensureDebianPackage(name: string, binaryPath: string, options: DebianPackageOptions = {}): Promise<'present' | 'installed'> {
  const system = { ...debianSystem, ...options.system };
  const say = options.say ?? (() => undefined);
  if (system.exists(binaryPath)) {
    say(`${name}: ${binaryPath}`);
    return 'present';
  }
  const missing = `${binaryPath} is missing${options.neededFor === undefined ? '' : ` (${options.neededFor} needs it)`}`;
  const aptGet = system.aptGet();
  if (aptGet === undefined) {
    throw new Error(`${missing} and apt-get is not available to install it: install the Debian package ${name} (or your system's equivalent that provides ${binaryPath})`);
  }
  if (!system.isRoot()) {
    throw new Error(`${missing} and only root can install it: run \`sudo apt-get install -y ${name}\` once, then try again`);
  }
  say(`${name}: ${binaryPath} is missing, installing it with apt-get (once)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await system.run(aptGet, ['update', '-qq'], env);
  await system.run(aptGet, ['install', '-y', '-qq', name], env);
  if (!system.exists(binaryPath)) throw new Error(`apt-get installed ${name} but ${binaryPath} is still missing`);
  return 'installed';
}
