/**
 * A real single-node KRaft Kafka 3.9.1 from Maven Central, without Docker: jars resolved
 * once into a cache folder outside the repository, broker data under the stack folder.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { createKafka } from '../../src/queue/kafka/client.js';
import type { Config } from '../../src/config/index.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { findBinary, isAlive, portAnswers, startDetached, waitFor, type PidFiles } from './processes.js';
import type { StackSettings } from './settings.js';

const run = promisify(execFile);
export const KAFKA_VERSION = '3.9.1';
const HOST = '127.0.0.1';
const PORT = 9092;
const MARKER = '.complete';

/** Downloads the broker's jars once into `cacheDir`; later runs reuse the cache. */
export async function ensureJars(cacheDir: string, say: (line: string) => void): Promise<string> {
  const libs = join(cacheDir, `kafka-${KAFKA_VERSION}`, 'libs');
  if (existsSync(join(libs, MARKER))) return libs;
  const mvn = findBinary(['mvn']);
  if (mvn === undefined) throw new Error('Kafka needs Apache Maven to fetch its jars: install maven (and a Java 17 runtime), or set KAFKA_BROKERS to an existing cluster');
  say(`fetching Kafka ${KAFKA_VERSION} jars into ${libs} (once)...`);
  const staging = `${libs}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const pom = join(PACKAGE_ROOT, 'scripts', 'kafka', 'pom.xml');
  try {
    await run(mvn, ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`], { maxBuffer: 16 * 1024 * 1024, cwd: cacheDir });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    const detail = (err as { stdout?: string; stderr?: string }).stdout ?? '';
    throw new Error(`maven could not fetch Kafka's jars: ${detail.split('\n').slice(-10).join('\n')}`);
  }
  if (!readdirSync(staging).includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) throw new Error('maven finished but the kafka jar is missing');
  writeFileSync(join(staging, MARKER), new Date().toISOString());
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  return libs;
}

export interface BrokerPorts {
  port: number;
  controllerPort: number;
}

/** One member of a multi-broker KRaft cluster (scripts/stack/kafka-cluster.ts). */
export interface ClusterMember {
  nodeId: number;
  /** `1@host:port,2@host:port,...`: the same list on every member. */
  voters: string;
  /** Formatted into every member's log dir. */
  clusterId: string;
  /** Properties appended last (a later line wins). */
  extra: readonly string[];
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. */
export function newClusterId(): string {
  return randomBytes(16).toString('base64url');
}

function writeProperties(dataDir: string, propsPath: string, ports: BrokerPorts, member: ClusterMember | undefined): void {
  const template = readFileSync(join(PACKAGE_ROOT, 'scripts', 'kafka', 'server.properties'), 'utf8');
  const local = [
    `log.dirs=${dataDir}`,
    `controller.quorum.voters=${member?.voters ?? `1@${HOST}:${ports.controllerPort}`}`,
    `listeners=PLAINTEXT://${HOST}:${ports.port},CONTROLLER://${HOST}:${ports.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${ports.port}`,
    ...(member === undefined ? [] : [`node.id=${member.nodeId}`, ...member.extra]),
  ];
  writeFileSync(propsPath, `${template}\n${local.join('\n')}\n`);
}

async function formatStorage(java: string, libs: string, propsPath: string, clusterId: string): Promise<void> {
  await run(java, ['-cp', `${libs}/*`, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', propsPath, '--ignore-formatted']);
}

/**
 * Formats (first time) and starts a broker whose data lives in `home`; returns its pid.
 * Without `member` it is a single node, its own quorum.
 */
export async function startBroker(cacheDir: string, home: string, ports: BrokerPorts, say: (line: string) => void, member?: ClusterMember): Promise<number> {
  const java = findBinary(['java']);
  if (java === undefined) throw new Error('Kafka needs a Java 17+ runtime: install openjdk-17-jre-headless, or set KAFKA_BROKERS to an existing cluster');
  const libs = await ensureJars(cacheDir, say);
  const dataDir = join(home, 'data');
  const propsPath = join(home, 'server.properties');
  mkdirSync(dataDir, { recursive: true });
  writeProperties(dataDir, propsPath, ports, member);
  if (!existsSync(join(dataDir, 'meta.properties'))) await formatStorage(java, libs, propsPath, member?.clusterId ?? newClusterId());
  return startDetached(java, [
    '-Xms256m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true',
    `-Dkafka.logs.dir=${join(home, 'logs')}`,
    `-Dlog4j.configuration=file:${join(PACKAGE_ROOT, 'scripts', 'kafka', 'log4j.properties')}`,
    '-cp', `${libs}/*`, 'kafka.Kafka', propsPath,
  ], join(home, 'broker.log'));
}

/** Kafka answers at config.kafka.brokers, with at least `brokers` brokers in the cluster. */
export async function kafkaReady(config: Config, brokers = 1): Promise<boolean> {
  if (!(await portAnswers(config.kafka.brokers[0]?.split(':')[0] ?? HOST, Number(config.kafka.brokers[0]?.split(':')[1] ?? PORT)))) return false;
  const admin = createKafka({ ...config.kafka }, pino({ level: 'silent' }), '-stack').admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    await admin.listTopics();
    return brokers <= 1 || (await admin.describeCluster()).brokers.length >= brokers;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Starts the local broker unless one already answers; returns what happened. */
export async function upKafka(config: Config, stack: StackSettings, pids: PidFiles, say: (line: string) => void): Promise<string> {
  if (!config.kafka.local) {
    if (await kafkaReady(config)) return `kafka: using ${config.kafka.brokers.join(',')}`;
    throw new Error(`Kafka is not reachable at KAFKA_BROKERS=${config.kafka.brokers.join(',')}`);
  }
  const ours = pids.running('kafka');
  if (await kafkaReady(config)) return ours === undefined ? `kafka: using ${HOST}:${PORT} (not started by us)` : `kafka: running (pid ${ours})`;
  if (ours !== undefined) {
    // Ours, still starting (another `up` in parallel) or stuck: wait for it rather than start a second.
    await waitFor('kafka', () => kafkaReady(config), 120000, () => isAlive(ours));
    return `kafka: running (pid ${ours})`;
  }
  if (await portAnswers(HOST, PORT)) throw new Error(`something that is not Kafka answers on ${HOST}:${PORT}`);
  const home = join(stack.dir, 'kafka');
  const pid = await startBroker(stack.cacheDir, home, { port: PORT, controllerPort: PORT + 1 }, say);
  pids.write('kafka', pid);
  say(`kafka: starting (pid ${pid}), log in ${join(home, 'broker.log')}`);
  const started = Date.now();
  await waitFor('kafka', () => kafkaReady(config), 120000, () => isAlive(pid));
  return `kafka: started ${HOST}:${PORT} (pid ${pid}) in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}
