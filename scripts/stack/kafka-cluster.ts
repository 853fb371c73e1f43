/**
 * `up --kafka-brokers N` (N > 1): a KRaft cluster of N brokers on one machine, each broker
 * also a controller. Broker i (1..N) has node.id i, its own log dir under
 * <stack>/kafka-cluster/<i>, and ports STACK_KAFKA_PORT + 2(i-1) (clients) and the one after
 * (controller). Every member gets the same voters list and the same cluster id.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/index.js';
import { kafkaReady, newClusterId, startBroker, type BrokerPorts } from './kafka.js';
import { isAlive, portAnswers, waitFor, type PidFiles } from './processes.js';
import type { StackSettings } from './settings.js';

const HOST = '127.0.0.1';

/** Topics created without a factor, the offsets and transaction logs: 3 replicas, 2 in sync (ENGINEERING.md section 2). */
function clusterProperties(brokers: number): string[] {
  const factor = Math.min(3, brokers);
  const minIsr = Math.max(1, factor - 1);
  return [
    `default.replication.factor=${factor}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${factor}`,
    `transaction.state.log.replication.factor=${factor}`,
    `transaction.state.log.min.isr=${minIsr}`,
    // A killed broker is fenced, and its partitions led by a follower, after 4 s rather than
    // the default 9 s: admitted requests wait for that failover before their 202.
    'broker.session.timeout.ms=4000',
    'broker.heartbeat.interval.ms=1000',
  ];
}

export interface KafkaClusterLayout {
  members: { nodeId: number; pidName: string; home: string; ports: BrokerPorts }[];
  /** KAFKA_BROKERS for the service. */
  brokers: string[];
  voters: string;
}

export function kafkaClusterLayout(stack: StackSettings): KafkaClusterLayout {
  const members = Array.from({ length: stack.kafkaBrokers }, (_unused, index) => {
    const port = stack.kafkaPort + 2 * index;
    return { nodeId: index + 1, pidName: `kafka-${index + 1}`, home: join(stack.dir, 'kafka-cluster', String(index + 1)), ports: { port, controllerPort: port + 1 } };
  });
  return {
    members,
    brokers: members.map((m) => `${HOST}:${m.ports.port}`),
    voters: members.map((m) => `${m.nodeId}@${HOST}:${m.ports.controllerPort}`).join(','),
  };
}

function clusterConfig(config: Config, layout: KafkaClusterLayout): Config {
  return { ...config, kafka: { ...config.kafka, brokers: layout.brokers } };
}

export async function kafkaClusterReady(config: Config, stack: StackSettings): Promise<boolean> {
  return kafkaReady(clusterConfig(config, kafkaClusterLayout(stack)), stack.kafkaBrokers);
}

/** One id for the whole cluster, kept beside the members so a restart reuses their formatted dirs. */
function clusterId(stack: StackSettings): string {
  const file = join(stack.dir, 'kafka-cluster', 'cluster-id');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(stack.dir, 'kafka-cluster'), { recursive: true });
  const id = newClusterId();
  writeFileSync(file, `${id}\n`);
  return id;
}

export async function upKafkaCluster(config: Config, stack: StackSettings, pids: PidFiles, say: (line: string) => void): Promise<string> {
  const layout = kafkaClusterLayout(stack);
  const ready = (): Promise<boolean> => kafkaReady(clusterConfig(config, layout), layout.members.length);
  const ours = layout.members.map((m) => pids.running(m.pidName));
  const alive = (): boolean => ours.every((pid) => pid !== undefined && isAlive(pid));
  if (await ready()) return `kafka: ${layout.members.length} brokers running at ${layout.brokers.join(',')}`;
  if (ours.some((pid) => pid !== undefined)) {
    if (!ours.every((pid) => pid !== undefined)) throw new Error('kafka: only some brokers of the cluster run: `npm run stack -- down` first');
    await waitFor('kafka cluster', ready, 180000, alive);
    return `kafka: ${layout.members.length} brokers running at ${layout.brokers.join(',')}`;
  }
  for (const { ports } of layout.members) {
    for (const port of [ports.port, ports.controllerPort]) {
      if (await portAnswers(HOST, port)) throw new Error(`kafka: something already answers on ${HOST}:${port} (set STACK_KAFKA_PORT to free ports)`);
    }
  }
  const id = clusterId(stack);
  const extra = clusterProperties(layout.members.length);
  const started = Date.now();
  for (const member of layout.members) {
    const pid = await startBroker(stack.cacheDir, member.home, member.ports, say, { nodeId: member.nodeId, voters: layout.voters, clusterId: id, extra });
    pids.write(member.pidName, pid);
    ours[member.nodeId - 1] = pid;
    say(`kafka: broker ${member.nodeId} starting (pid ${pid}) on ${HOST}:${member.ports.port}, controller ${member.ports.controllerPort}, log in ${join(member.home, 'broker.log')}`);
  }
  await waitFor('kafka cluster', ready, 180000, alive);
  return `kafka: ${layout.members.length} brokers started at ${layout.brokers.join(',')} in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}
