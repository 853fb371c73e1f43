/**
 * `up --redis-cluster`: a Redis Cluster of 3 primaries with one replica each, from Debian's
 * redis-server (installed on demand). Node i listens on STACK_REDIS_CLUSTER_PORT + i
 * (i = 0..5), its cluster bus 10000 higher; like the single stack Redis it keeps nothing on
 * disk but its nodes.conf (<stack>/redis-cluster/<port>/). `redis-cli --cluster create`
 * joins them once; later `up`s find the cluster formed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { ensureDebianPackage } from './debian.js';
import { isAlive, portAnswers, startDetached, waitFor, type PidFiles } from './processes.js';
import type { StackSettings } from './settings.js';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const NODES = 6;
const SERVER = '/usr/bin/redis-server';
const CLI = '/usr/bin/redis-cli';

export function redisClusterPorts(stack: StackSettings): number[] {
  return Array.from({ length: NODES }, (_unused, index) => stack.redisClusterPort + index);
}

/** REDIS_URL for the service: every node as a seed. */
export function redisClusterUrl(stack: StackSettings): string {
  return `redis+cluster://${redisClusterPorts(stack).map((port) => `${HOST}:${port}`).join(',')}`;
}

/** CLUSTER INFO of one node as key/value pairs; undefined when it does not answer. */
export async function clusterInfo(port: number): Promise<Record<string, string> | undefined> {
  const client = new Redis({ host: HOST, port, lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const text = String(await client.call('CLUSTER', 'INFO'));
    return Object.fromEntries(text.split(/\r?\n/).filter((line) => line.includes(':')).map((line) => line.split(':', 2) as [string, string]));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** Every node answers and sees a healthy cluster of all six. */
export async function redisClusterReady(stack: StackSettings): Promise<boolean> {
  for (const port of redisClusterPorts(stack)) {
    const info = await clusterInfo(port);
    if (info?.['cluster_state'] !== 'ok' || Number(info['cluster_known_nodes']) < NODES) return false;
  }
  return true;
}

function nodeArgs(port: number, home: string): string[] {
  return [
    '--port', String(port), '--bind', HOST, '--dir', home,
    '--cluster-enabled', 'yes', '--cluster-config-file', join(home, 'nodes.conf'),
    // A primary silent for 3 s is failed over to its replica.
    '--cluster-node-timeout', '3000',
    '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ];
}

export async function upRedisCluster(stack: StackSettings, pids: PidFiles, say: (line: string) => void): Promise<string> {
  const ports = redisClusterPorts(stack);
  const url = redisClusterUrl(stack);
  if (await redisClusterReady(stack)) return `redis cluster: running at ${url}`;
  await ensureDebianPackage('redis-server', SERVER, { neededFor: 'the Redis Cluster of `npm run stack -- up --redis-cluster`', say });
  for (const port of ports) {
    const name = `redis-${port}`;
    if (pids.running(name) !== undefined) continue;
    if (await portAnswers(HOST, port)) throw new Error(`redis cluster: something already answers on ${HOST}:${port} (set STACK_REDIS_CLUSTER_PORT to free ports)`);
    const home = join(stack.dir, 'redis-cluster', String(port));
    mkdirSync(home, { recursive: true });
    const pid = startDetached(SERVER, nodeArgs(port, home), join(home, 'server.log'));
    pids.write(name, pid);
    await waitFor(name, () => portAnswers(HOST, port), 30000, () => isAlive(pid));
  }
  const info = await clusterInfo(ports[0]!);
  if (Number(info?.['cluster_known_nodes'] ?? 0) < NODES) {
    say(`redis cluster: joining ${NODES} nodes (3 primaries, 1 replica each)`);
    await run(CLI, ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '1', '--cluster-yes']);
  }
  await waitFor('redis cluster', () => redisClusterReady(stack), 60000);
  return `redis cluster: started at ${url}`;
}

export async function statusRedisCluster(stack: StackSettings, pids: PidFiles): Promise<string[]> {
  const lines: string[] = [];
  for (const port of redisClusterPorts(stack)) {
    const info = await clusterInfo(port);
    const ours = pids.running(`redis-${port}`);
    const who = ours === undefined ? 'not started by us' : `started by us, pid ${ours}`;
    lines.push(`redis cluster node ${HOST}:${port}: ${info === undefined ? 'down' : `up, cluster_state ${info['cluster_state']}`} (${who})`);
  }
  return lines;
}
