/**
 * `npm run stack`'s own settings, kept out of the service's Config: where the stack keeps
 * its data and pids, where Kafka's jars are cached, and the topology it starts. Read like
 * the service's (env or flag, one line naming a bad value), from the same command line.
 * Two short forms: `--kafka-brokers N` (a count, where the service's KAFKA_BROKERS is a
 * host:port list) and the switch `--redis-cluster`.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { takeFlags } from '../../src/config/args.js';
import { configFrom, type Config, type ConfigSource } from '../../src/config/index.js';
import { readVariables } from '../../src/config/read.js';
import { VARIABLES, bool, int, text, type Values, type VariableTable } from '../../src/config/variables.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

export const STACK_VARIABLES = {
  STACK_DIR: { description: 'Where `npm run stack` keeps broker data and pids (relative to the repository)', default: '.stack', parse: text(1, 4096) },
  STACK_CACHE_DIR: { description: 'Where downloaded Kafka jars are cached (outside the repository)', default: join(homedir(), '.cache', 'flash-coupon'), parse: text(1, 4096) },
  STACK_KAFKA_BROKERS: { description: 'Kafka brokers `up` starts (`--kafka-brokers N`): 1 is the single node of KAFKA_BROKERS; more form a KRaft cluster, each broker also a controller', default: '1', parse: int(1, 9) },
  STACK_KAFKA_PORT: { description: 'With several brokers: the first one\'s port; broker i listens on port+2(i-1), its controller on the port after', default: '9092', parse: int(1024, 65000) },
  STACK_REDIS_CLUSTER: { description: 'Start a Redis Cluster of 3 primaries with one replica each (`--redis-cluster`) instead of the single Redis of REDIS_URL', default: 'false', parse: bool },
  STACK_REDIS_CLUSTER_PORT: { description: 'The Redis Cluster\'s first node port; six nodes on consecutive ports, each bus port 10000 higher', default: '7000', parse: int(1024, 55000) },
} as const satisfies VariableTable;

export interface StackSettings {
  /** Absolute. */
  readonly dir: string;
  readonly cacheDir: string;
  readonly kafkaBrokers: number;
  readonly kafkaPort: number;
  readonly redisCluster: boolean;
  readonly redisClusterPort: number;
}

function settingsOf(values: Values<typeof STACK_VARIABLES>): StackSettings {
  return {
    dir: resolve(PACKAGE_ROOT, values.STACK_DIR),
    cacheDir: values.STACK_CACHE_DIR,
    kafkaBrokers: values.STACK_KAFKA_BROKERS,
    kafkaPort: values.STACK_KAFKA_PORT,
    redisCluster: values.STACK_REDIS_CLUSTER,
    redisClusterPort: values.STACK_REDIS_CLUSTER_PORT,
  };
}

/** The short forms as the long flags they stand for; `--kafka-brokers host:port` stays the service's. */
function expandShortForms(argv: readonly string[]): string[] {
  const { values, others } = takeFlags(argv, { 'kafka-brokers': { type: 'string' }, 'redis-cluster': { type: 'boolean' } }, (_name, value) => /^\d+$/.test(String(value)));
  const brokers = values['kafka-brokers'];
  return [...(brokers === undefined ? [] : ['--stack-kafka-brokers', brokers]), ...(values['redis-cluster'] === true ? ['--stack-redis-cluster=true'] : []), ...others];
}

export function loadStackSettings(source: ConfigSource = {}): StackSettings {
  return settingsOf(readVariables(STACK_VARIABLES, { ...source, argv: expandShortForms(source.argv ?? []) }).values);
}

/** The service's Config and the stack's settings from one env and one list of flags of either. */
export function loadStack(source: ConfigSource = {}): { config: Config; stack: StackSettings } {
  const read = readVariables({ ...VARIABLES, ...STACK_VARIABLES }, { ...source, argv: expandShortForms(source.argv ?? []) });
  return { config: configFrom(read), stack: settingsOf(read.values) };
}
