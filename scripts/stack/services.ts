/**
 * Redis and MariaDB/MySQL for the local stack: use whatever answers at the configured URL;
 * if nothing does and the server is installed, start one on its default port; otherwise
 * stop with a message that names what to install.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.js';
import { ensureDatabase } from '../../src/store/mysql.js';
import { findBinary, isAlive, portAnswers, startDetached, waitFor, type PidFiles } from './processes.js';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function endpoint(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: parsed.port === '' ? defaultPort : Number(parsed.port) };
}

interface ServiceSpec {
  name: 'redis' | 'mysql';
  url: string;
  defaultPort: number;
  binaries: string[];
  install: string;
  args: (port: number, home: string) => string[];
}

function specs(config: Config): ServiceSpec[] {
  // A Redis Cluster given by REDIS_URL is checked at its first seed (`up --redis-cluster` starts one).
  const seed = config.redis.cluster?.nodes[0];
  return [
    {
      name: 'redis',
      url: seed === undefined ? config.redis.url : `redis://${seed.host}:${seed.port}`,
      defaultPort: 6379,
      binaries: ['redis-server'],
      install: 'install redis-server (Debian: apt-get install redis-server) or set REDIS_URL',
      args: (port) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    },
    {
      name: 'mysql',
      url: config.mysql.url,
      defaultPort: 3306,
      binaries: ['mariadbd', 'mysqld'],
      install: 'install mariadb-server (Debian: apt-get install mariadb-server) or set MYSQL_URL',
      // The distribution's own configuration and data directory, as its service would run it.
      args: (port) => ['--user=root', `--port=${port}`],
    },
  ];
}

async function upService(spec: ServiceSpec, pids: PidFiles, stackDir: string): Promise<string> {
  const { host, port } = endpoint(spec.url, spec.defaultPort);
  if (await portAnswers(host, port)) {
    const ours = pids.running(spec.name);
    return ours === undefined ? `${spec.name}: using ${host}:${port}` : `${spec.name}: running (pid ${ours})`;
  }
  const binary = findBinary(spec.binaries);
  if (!LOCAL_HOSTS.has(host) || port !== spec.defaultPort || binary === undefined) {
    throw new Error(`${spec.name}: nothing answers at ${host}:${port}; ${spec.install}`);
  }
  const home = join(stackDir, spec.name);
  mkdirSync(home, { recursive: true });
  const pid = startDetached(binary, spec.args(port, home), join(home, 'server.log'));
  pids.write(spec.name, pid);
  await waitFor(spec.name, () => portAnswers(host, port), 60000, () => isAlive(pid));
  return `${spec.name}: started ${host}:${port} (pid ${pid})`;
}

/** `withRedis` false: a Redis Cluster stands in for the single Redis (scripts/stack/redis-cluster.ts). */
export async function upServices(config: Config, pids: PidFiles, stackDir: string, withRedis = true): Promise<string[]> {
  const lines: string[] = [];
  for (const spec of specs(config)) if (withRedis || spec.name !== 'redis') lines.push(await upService(spec, pids, stackDir));
  await ensureDatabase(config.mysql);
  return lines;
}

export async function statusServices(config: Config, pids: PidFiles, withRedis = true): Promise<string[]> {
  const lines: string[] = [];
  for (const spec of specs(config)) {
    if (!withRedis && spec.name === 'redis') continue;
    const { host, port } = endpoint(spec.url, spec.defaultPort);
    const answers = await portAnswers(host, port);
    const ours = pids.running(spec.name);
    const who = ours === undefined ? 'not started by us' : `started by us, pid ${ours}`;
    lines.push(`${spec.name}: ${answers ? 'up' : 'down'} at ${host}:${port} (${who})`);
  }
  return lines;
}
