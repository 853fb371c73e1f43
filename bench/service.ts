/**
 * The service under test: a child process `node dist/src/cli.js serve` on a free port with
 * its own fresh Kafka topic and group, or front doors already running at --url.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PACKAGE_ROOT } from '../src/paths.js';

export interface ServiceHandle {
  /** Where admin calls go: the first front door. */
  readonly url: string;
  /** Every front door the load is spread over. */
  readonly urls: readonly string[];
  /** The service process when this bench started it. */
  readonly pid: number | undefined;
  readonly adminToken: string;
  /** The run's Kafka topic and group when this bench started the service. */
  readonly topic: string | undefined;
  readonly groupId: string | undefined;
  readonly logFile: string | undefined;
  /** SIGTERM, then SIGKILL after a grace period; nothing for an external service. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly queue: 'kafka' | 'redis';
  readonly partitions: number | undefined;
  readonly threads: number | undefined;
  readonly partitionKey: 'couponId' | 'userId' | undefined;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string | undefined;
  readonly extraArgs: readonly string[];
  /** A name unique to the run, used for the topic, group and log file. */
  readonly runId: string;
  readonly logDir: string;
}

const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 30_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolves when GET /readyz answers 200; rejects on timeout or when `exited` settles first. */
export async function waitReady(url: string, timeoutMs: number, exited?: Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone: string | undefined;
  void exited?.then((why) => {
    gone = why;
  });
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(`the service exited before it was ready (${gone})`);
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`the service at ${url} was not ready after ${timeoutMs} ms (last: ${last})`);
}

function stopChild(child: ChildProcess, done: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  return done.then(() => clearTimeout(killer));
}

export async function startService(options: StartOptions): Promise<ServiceHandle> {
  const port = await freePort();
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const topic = `bench-${options.runId}`;
  const groupId = `${topic}-writers`;
  const args = [
    join(PACKAGE_ROOT, 'dist', 'src', 'cli.js'), 'serve',
    '--host', '127.0.0.1', '--port', String(port), '--admin-token', adminToken,
    '--queue', options.queue, '--kafka-topic', topic, '--kafka-group-id', groupId,
    '--mysql-url', options.mysqlUrl, '--redis-url', options.redisUrl, '--log-level', 'warn',
  ];
  if (options.partitions !== undefined) args.push('--kafka-partitions', String(options.partitions));
  if (options.threads !== undefined) args.push('--worker-threads', String(options.threads));
  if (options.partitionKey !== undefined) args.push('--kafka-partition-key', options.partitionKey);
  if (options.kafkaBrokers !== undefined) args.push('--kafka-brokers', options.kafkaBrokers);
  args.push(...options.extraArgs);

  const logFile = join(options.logDir, `tmp-${options.runId}-service.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: PACKAGE_ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal === null ? `exit code ${code}` : `signal ${signal}`));
    child.once('error', (err) => resolve(err.message));
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(url, READY_TIMEOUT_MS, exited);
  } catch (err) {
    await stopChild(child, exited);
    const log = tail(logFile, 20);
    throw new Error(`${(err as Error).message}${log === '' ? '' : `\nlast service log lines (${logFile}):\n${log}`}`);
  }
  return { url, urls: [url], pid: child.pid, adminToken, topic, groupId, logFile, stop: () => stopChild(child, exited) };
}

export async function externalService(urls: readonly string[], adminToken: string): Promise<ServiceHandle> {
  await Promise.all(urls.map((url) => waitReady(url, 10_000)));
  return { url: urls[0] as string, urls, pid: undefined, adminToken, topic: undefined, groupId: undefined, logFile: undefined, stop: async () => undefined };
}
