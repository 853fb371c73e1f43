/**
 * docker-compose.yml must agree with the service's own defaults: the same published ports,
 * database name and Kafka version, and a service environment the config module accepts.
 * No Docker engine runs here, so the file is checked as data. `composeProblems` lists every
 * disagreement; the last test feeds it broken copies to show it notices. The `monitoring`
 * profile is checked the same way (`monitoringProblems`), against the metric names a
 * running service really exports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { loadConfig, type Config } from '../src/config/index.js';
import { VARIABLES } from '../src/config/variables.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { startTestService } from './helpers/service.js';

type Doc = Record<string, unknown>;
type Service = { image?: string; ports?: unknown[]; environment?: Record<string, unknown> | string[]; healthcheck?: unknown; depends_on?: unknown; build?: unknown; profiles?: string[]; volumes?: unknown[]; command?: string[] | string };

const SERVICE = 'flash-coupon';
const DEPENDENCIES = ['kafka', 'redis', 'mysql'];

function readCompose(): Doc {
  return parse(readFileSync(join(PACKAGE_ROOT, 'docker-compose.yml'), 'utf8')) as Doc;
}

function services(doc: Doc): Record<string, Service> {
  return (doc['services'] ?? {}) as Record<string, Service>;
}

/** Compose's `${NAME:-default}` with an empty shell environment. */
function interpolate(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_m, fallback: string | undefined) => fallback ?? '');
}

function environment(service: Service | undefined): Record<string, string> {
  const env = service?.environment ?? {};
  const entries = Array.isArray(env) ? env.map((line) => String(line).split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(String(value ?? ''))]));
}

/** Published ports as [host, container] pairs, short ("h:c", "ip:h:c") or long syntax. */
function publishedPorts(service: Service | undefined): [number, number][] {
  return (service?.ports ?? []).map((entry) => {
    if (typeof entry === 'object' && entry !== null) {
      const long = entry as { published?: unknown; target?: unknown };
      return [Number(long.published), Number(long.target)];
    }
    const parts = String(entry).split('/')[0]!.split(':');
    return [Number(parts.at(-2) ?? parts.at(-1)), Number(parts.at(-1))];
  });
}

function urlPort(url: string, fallback: number): number {
  const port = new URL(url).port;
  return port === '' ? fallback : Number(port);
}

function hostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}

/** Every way docker-compose.yml disagrees with the config defaults; empty when it agrees. */
function composeProblems(doc: Doc, defaults: Config): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const all = services(doc);
  for (const name of [...DEPENDENCIES, SERVICE]) check(all[name] !== undefined, `no "${name}" service`);
  const publishes = (name: string, port: number): void => {
    const pairs = publishedPorts(all[name]);
    check(pairs.some(([host, container]) => host === port && container === port), `${name} does not publish ${port}:${port} (has ${JSON.stringify(all[name]?.ports)})`);
  };

  // Redis and MySQL: the host reaches them on the default URLs.
  publishes('redis', urlPort(defaults.redis.url, 6379));
  check(/^redis:7(\b|$)/.test(all['redis']?.image ?? ''), 'redis image is not redis:7');
  publishes('mysql', urlPort(defaults.mysql.url, 3306));
  check(/^mysql:8(\b|$)/.test(all['mysql']?.image ?? ''), 'mysql image is not MySQL 8');
  const mysqlEnv = environment(all['mysql']);
  check(mysqlEnv['MYSQL_DATABASE'] === defaults.mysql.database, `MYSQL_DATABASE is ${mysqlEnv['MYSQL_DATABASE']}, the default is ${defaults.mysql.database}`);
  const defaultMysql = new URL(defaults.mysql.url);
  check(defaultMysql.username === 'root' && defaultMysql.password === '' && mysqlEnv['MYSQL_ALLOW_EMPTY_PASSWORD'] === 'yes', 'the default URL logs in as root without password, so MySQL must allow it');

  // Kafka: the official 3.9.1 image, host listener on the default broker's port.
  const kafka = all['kafka'];
  const kafkaEnv = environment(kafka);
  check(kafka?.image === 'apache/kafka:3.9.1', `kafka image is ${kafka?.image}, expected apache/kafka:3.9.1`);
  const [, defaultBrokerPort] = hostPort(defaults.kafka.brokers[0]!);
  publishes('kafka', defaultBrokerPort);
  const advertised = (kafkaEnv['KAFKA_ADVERTISED_LISTENERS'] ?? '').split(',').map((l) => l.replace(/^[A-Z_]+:\/\//, ''));
  check(advertised.includes(`localhost:${defaultBrokerPort}`), `kafka does not advertise localhost:${defaultBrokerPort} to the host`);
  check(kafkaEnv['KAFKA_PROCESS_ROLES'] === 'broker,controller' && kafkaEnv['KAFKA_NODE_ID'] === '1', 'kafka is not a single KRaft node (node 1, broker,controller)');
  check(kafkaEnv['KAFKA_CONTROLLER_QUORUM_VOTERS'] === '1@kafka:9093' && (kafkaEnv['KAFKA_LISTENERS'] ?? '').includes('CONTROLLER://:9093'), 'kafka controller is not on 9093 as the only voter');
  for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR']) {
    check(kafkaEnv[key] === '1', `${key} is ${kafkaEnv[key]}, a single node needs 1`);
  }
  check(kafkaEnv['KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS'] === '0', 'group.initial.rebalance.delay.ms is not 0');

  // The service: published on the default HTTP port, configured only with known variables.
  const app = all[SERVICE];
  const appEnv = environment(app);
  const port = appEnv['PORT'] === undefined ? defaults.http.port : Number(appEnv['PORT']);
  check(port === defaults.http.port, `service PORT ${port} differs from the default ${defaults.http.port}`);
  publishes(SERVICE, defaults.http.port);
  for (const key of Object.keys(appEnv)) check(key in VARIABLES, `service env ${key} is not a configuration variable`);
  let config: Config | undefined;
  try {
    config = loadConfig({ env: appEnv });
  } catch (err) {
    problems.push(`service env is rejected: ${(err as Error).message}`);
  }
  if (config !== undefined) {
    check(new URL(config.redis.url).hostname === 'redis' && urlPort(config.redis.url, 6379) === 6379, `REDIS_URL ${config.redis.url} is not the redis service`);
    check(new URL(config.mysql.url).hostname === 'mysql' && urlPort(config.mysql.url, 3306) === 3306, `MYSQL_URL ${config.mysql.url} is not the mysql service`);
    check(config.mysql.database === defaults.mysql.database, `service database ${config.mysql.database} differs from ${defaults.mysql.database}`);
    check(config.kafka.local === false, 'the service would start its own broker: KAFKA_BROKERS is unset');
    for (const broker of config.kafka.brokers) {
      check(advertised.includes(broker) && broker.startsWith('kafka:'), `KAFKA_BROKERS entry ${broker} is not a listener kafka advertises to containers`);
    }
  }
  const dependsOn = (app?.depends_on ?? {}) as Record<string, { condition?: string }>;
  for (const name of DEPENDENCIES) {
    check(dependsOn[name]?.condition === 'service_healthy', `service does not wait for ${name} to be healthy`);
    check(all[name]?.healthcheck !== undefined, `${name} has no healthcheck`);
  }
  check(app?.healthcheck !== undefined, 'service has no healthcheck');
  check(app?.build !== undefined, 'service is not built from the Dockerfile');
  return problems;
}

t.test('docker-compose.yml agrees with the config defaults', async (t) => {
  t.same(composeProblems(readCompose(), loadConfig({ env: {} })), []);
});

t.test('the Dockerfile builds on node:20 and starts the service', async (t) => {
  const dockerfile = readFileSync(join(PACKAGE_ROOT, 'Dockerfile'), 'utf8');
  const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
  t.ok(froms.length > 0 && froms.every((image) => image === 'node:20'), `every stage is node:20 (${froms.join(', ')})`);
  t.match(dockerfile, /^RUN npm ci\b/m);
  t.match(dockerfile, /npm run build/);
  t.match(dockerfile, /^CMD \["node", "dist\/src\/cli\.js", "serve"\]/m);
  const ignored = readFileSync(join(PACKAGE_ROOT, '.dockerignore'), 'utf8').split('\n');
  t.ok(ignored.includes('node_modules') && ignored.includes('dist'), '.dockerignore keeps node_modules and dist out of the build context');
});

t.test('the check notices a broken compose file', async (t) => {
  const defaults = loadConfig({ env: {} });
  const mutate = (edit: (all: Record<string, Service>) => void): string[] => {
    const doc = readCompose();
    edit(services(doc));
    return composeProblems(doc, defaults);
  };
  const env = (all: Record<string, Service>, name: string): Record<string, unknown> => all[name]!.environment as Record<string, unknown>;
  t.match(mutate((all) => { all['redis']!.ports = ['6380:6379']; }).join('\n'), /redis does not publish 6379:6379/);
  t.match(mutate((all) => { all['kafka']!.image = 'apache/kafka:3.8.0'; }).join('\n'), /kafka image/);
  t.match(mutate((all) => { env(all, 'mysql')['MYSQL_DATABASE'] = 'flashcoupon'; }).join('\n'), /MYSQL_DATABASE/);
  t.match(mutate((all) => { env(all, SERVICE)['REDIS_URL'] = 'redis://localhost:6379'; }).join('\n'), /REDIS_URL/);
  t.match(mutate((all) => { env(all, SERVICE)['KAFKA_BROKER'] = 'kafka:29092'; }).join('\n'), /KAFKA_BROKER is not a configuration variable/);
  t.match(mutate((all) => { env(all, SERVICE)['KAFKA_BROKERS'] = 'kafka:9092'; }).join('\n'), /KAFKA_BROKERS entry kafka:9092/);
  t.match(mutate((all) => { env(all, SERVICE)['PORT'] = 'eighty'; }).join('\n'), /PORT/);
  t.match(mutate((all) => { delete (all[SERVICE]!.depends_on as Record<string, unknown>)['mysql']; }).join('\n'), /wait for mysql/);
});

// --- The cluster profile: the topology of `npm run stack -- up --kafka-brokers 3 --redis-cluster` ---

const CLUSTER_SERVICE = 'flash-coupon-cluster';
const BROKERS = ['kafka-1', 'kafka-2', 'kafka-3'];
const REDIS_NODES = ['redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6'];
const REDIS_INIT = 'redis-cluster-init';

function commandLine(service: Service | undefined): string {
  return Array.isArray(service?.command) ? service.command.join(' ') : String(service?.command ?? '');
}

function clusterProblems(doc: Doc): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const all = services(doc);
  for (const name of [...BROKERS, ...REDIS_NODES, REDIS_INIT, CLUSTER_SERVICE]) {
    check(all[name] !== undefined, `no "${name}" service`);
    check(all[name]?.profiles?.includes('cluster') === true, `${name} is not in the cluster profile`);
  }

  // Kafka: three KRaft nodes, each broker and controller, one quorum, one cluster id, 3 replicas / 2 in sync.
  const envs = BROKERS.map((name) => environment(all[name]));
  const voters = BROKERS.map((name, i) => `${i + 1}@${name}:9093`).join(',');
  envs.forEach((env, i) => {
    const name = BROKERS[i]!;
    check(all[name]?.image === 'apache/kafka:3.9.1', `${name} image is ${all[name]?.image}`);
    check(env['KAFKA_NODE_ID'] === String(i + 1) && env['KAFKA_PROCESS_ROLES'] === 'broker,controller', `${name} is not KRaft node ${i + 1} (broker,controller)`);
    check(env['KAFKA_CONTROLLER_QUORUM_VOTERS'] === voters, `${name} voters are ${env['KAFKA_CONTROLLER_QUORUM_VOTERS']}, expected ${voters}`);
    check(/^[A-Za-z0-9_-]{22}$/.test(env['CLUSTER_ID'] ?? '') && env['CLUSTER_ID'] === envs[0]?.['CLUSTER_ID'], `${name} CLUSTER_ID differs or is not a Kafka cluster id`);
    for (const key of ['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', 'KAFKA_DEFAULT_REPLICATION_FACTOR']) check(env[key] === '3', `${name} ${key} is ${env[key]}, three brokers want 3`);
    for (const key of ['KAFKA_TRANSACTION_STATE_LOG_MIN_ISR', 'KAFKA_MIN_INSYNC_REPLICAS']) check(env[key] === '2', `${name} ${key} is ${env[key]}, three brokers want 2`);
    const volume = String(all[name]?.volumes?.[0] ?? '').split(':')[0];
    check(volume !== '' && BROKERS.filter((other) => String(all[other]?.volumes?.[0] ?? '').split(':')[0] === volume).length === 1, `${name} shares its log volume`);
  });

  // Redis: six cluster-enabled nodes joined with one replica per primary.
  for (const name of REDIS_NODES) {
    check(/^redis:7(\b|$)/.test(all[name]?.image ?? ''), `${name} image is not redis:7`);
    check(/--cluster-enabled yes/.test(commandLine(all[name])), `${name} is not cluster-enabled`);
  }
  const init = commandLine(all[REDIS_INIT]);
  check(/--cluster create/.test(init) && /--cluster-replicas 1/.test(init), 'the init service does not create the cluster with one replica each');
  for (const name of REDIS_NODES) check(new RegExp(`\\b${name}\\b`).test(init), `the init service does not join ${name}`);

  // The service: configured for the cluster, through variables the config module accepts.
  const appEnv = environment(all[CLUSTER_SERVICE]);
  try {
    const config = loadConfig({ env: appEnv });
    check(JSON.stringify(config.redis.cluster?.nodes.map((node) => node.host).sort()) === JSON.stringify(REDIS_NODES), `REDIS_URL ${config.redis.url} does not seed from the six nodes`);
    const internal = envs.map((env) => (env['KAFKA_ADVERTISED_LISTENERS'] ?? '').split(',').find((l) => l.startsWith('INTERNAL://'))?.slice('INTERNAL://'.length));
    check(JSON.stringify([...config.kafka.brokers]) === JSON.stringify(internal), `KAFKA_BROKERS ${config.kafka.brokers.join(',')} are not the brokers' INTERNAL listeners`);
  } catch (err) {
    problems.push(`cluster service env is rejected: ${(err as Error).message}`);
  }
  const dependsOn = (all[CLUSTER_SERVICE]?.depends_on ?? {}) as Record<string, { condition?: string }>;
  for (const name of [...BROKERS, 'mysql']) check(dependsOn[name]?.condition === 'service_healthy', `${CLUSTER_SERVICE} does not wait for ${name} to be healthy`);
  check(dependsOn[REDIS_INIT]?.condition === 'service_completed_successfully', `${CLUSTER_SERVICE} does not wait for the Redis Cluster to be joined`);
  const hostPorts = Object.values(all).flatMap((service) => publishedPorts(service).map(([host]) => host));
  check(new Set(hostPorts).size === hostPorts.length, 'two services publish the same host port');
  return problems;
}

t.test('the cluster profile: three KRaft brokers, a Redis Cluster of 3+3, the service configured for them', async (t) => {
  t.same(clusterProblems(readCompose()), []);
  const broken = (edit: (all: Record<string, Service>) => void): string => {
    const doc = readCompose();
    edit(services(doc));
    return clusterProblems(doc).join('\n');
  };
  const env = (all: Record<string, Service>, name: string): Record<string, unknown> => all[name]!.environment as Record<string, unknown>;
  t.match(broken((all) => { env(all, 'kafka-2')['KAFKA_NODE_ID'] = 1; }), /kafka-2 is not KRaft node 2/);
  t.match(broken((all) => { env(all, 'kafka-3')['CLUSTER_ID'] = 'another-cluster-id-0000'; }), /kafka-3 CLUSTER_ID differs/);
  t.match(broken((all) => { env(all, 'kafka-1')['KAFKA_MIN_INSYNC_REPLICAS'] = 1; }), /kafka-1 KAFKA_MIN_INSYNC_REPLICAS is 1/);
  t.match(broken((all) => { all[REDIS_INIT]!.command = ['sh', '-c', 'redis-cli --cluster create redis-1 redis-2 --cluster-yes']; }), /one replica each/);
  t.match(broken((all) => { env(all, CLUSTER_SERVICE)['REDIS_URL'] = 'redis://redis-1:6379'; }), /does not seed from the six nodes/);
  t.match(broken((all) => { env(all, CLUSTER_SERVICE)['KAFKA_BROKERS'] = 'kafka-1:29092'; }), /are not the brokers' INTERNAL listeners/);
  t.match(broken((all) => { env(all, CLUSTER_SERVICE)['QUEUE'] = 'redis'; }), /QUEUE=redis needs a single Redis/);
  t.match(broken((all) => { all['kafka-2']!.ports = ['9092:9092']; }), /publish the same host port/);
  t.match(broken((all) => { delete all['redis-4']!.profiles; }), /redis-4 is not in the cluster profile/);
});

// --- The monitoring profile: Prometheus scraping the service, Grafana over its metrics ---

const MONITORING = ['prometheus', 'grafana'];
/** Repository files the monitoring services mount, readable with overrides (for broken copies). */
type Files = { read(path: string): string; list(dir: string): string[] };

const repoFiles = (overrides: Record<string, string> = {}): Files => ({
  read: (path) => overrides[path] ?? readFileSync(join(PACKAGE_ROOT, path), 'utf8'),
  list: (dir) => readdirSync(join(PACKAGE_ROOT, dir)),
});

/** The repository path behind a container path, through the service's `./x:/y` bind mounts. */
function hostPath(service: Service | undefined, containerPath: string): string | undefined {
  for (const volume of service?.volumes ?? []) {
    const [source, target] = String(volume).split(':');
    if (source === undefined || target === undefined || !source.startsWith('./')) continue;
    if (containerPath === target || containerPath.startsWith(`${target}/`)) return join(source, containerPath.slice(target.length));
  }
  return undefined;
}

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
function promqlMetrics(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\b\d+(\.\d+)?(e[+-]?\d+)?\b/gi, '');
  const keywords = new Set(['and', 'or', 'unless', 'offset', 'bool']);
  return [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)].filter((m) => m[2] === undefined && !keywords.has(m[1]!)).map((m) => m[1]!);
}

/** Every sample name GET /metrics can carry, from its `# TYPE` lines (histogram -> _bucket, _sum, _count). */
function exportedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, kind] of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (kind === 'histogram' || kind === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

function monitoringProblems(doc: Doc, files: Files, exported: Set<string>, defaults: Config): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, message: string): void => {
    if (!ok) problems.push(message);
  };
  const all = services(doc);
  const checkQuery = (where: string, expr: string): void => {
    for (const name of promqlMetrics(expr)) check(exported.has(name) || name === 'up', `${where}: ${name} is not a metric the service exports`);
  };
  for (const name of MONITORING) {
    check(all[name] !== undefined, `no "${name}" service`);
    check(all[name]?.profiles?.includes('monitoring') === true, `${name} is not in the monitoring profile`);
  }
  check(all[SERVICE]?.profiles === undefined, 'the service itself must run without a profile');

  // Prometheus: its config (through the bind mount) scrapes the service's port.
  const prometheus = all['prometheus'];
  const command = Array.isArray(prometheus?.command) ? prometheus.command : String(prometheus?.command ?? '').split(/\s+/);
  const configPath = hostPath(prometheus, command.find((arg) => arg.startsWith('--config.file='))?.slice('--config.file='.length) ?? '/etc/prometheus/prometheus.yml');
  const servicePort = Number(environment(all[SERVICE])['PORT'] ?? defaults.http.port);
  if (configPath === undefined) problems.push('prometheus config is not mounted from the repository');
  else {
    type Job = { metrics_path?: string; static_configs?: { targets?: string[] }[] };
    const config = parse(files.read(configPath)) as { scrape_configs?: Job[]; rule_files?: string[] };
    const jobs = (config.scrape_configs ?? []).filter((job) => (job.static_configs ?? []).some((c) => (c.targets ?? []).includes(`${SERVICE}:${servicePort}`)));
    check(jobs.length > 0, `no prometheus scrape target ${SERVICE}:${servicePort}`);
    check(jobs.every((job) => (job.metrics_path ?? '/metrics') === '/metrics'), 'the scrape job does not read /metrics');
    for (const ruleFile of config.rule_files ?? []) {
      const path = hostPath(prometheus, ruleFile);
      if (path === undefined) problems.push(`rule file ${ruleFile} is not mounted`);
      else for (const group of (parse(files.read(path)) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups) for (const rule of group.rules) checkQuery(`alert ${rule.alert}`, rule.expr);
    }
  }
  const [, prometheusPort] = publishedPorts(prometheus)[0] ?? [0, 0];

  // Grafana: a provisioned Prometheus data source on the prometheus service, dashboards over real metrics.
  const grafana = all['grafana'];
  const provisioning = hostPath(grafana, '/etc/grafana/provisioning');
  if (provisioning === undefined) return [...problems, 'grafana provisioning is not mounted from the repository'];
  const yamlIn = (dir: string): Doc[] => files.list(join(provisioning, dir)).filter((f) => /\.ya?ml$/.test(f)).map((f) => parse(files.read(join(provisioning, dir, f))) as Doc);
  const sources = yamlIn('datasources').flatMap((d) => (d['datasources'] ?? []) as { uid?: string; type?: string; url?: string }[]);
  const prometheusSources = sources.filter((ds) => ds.type === 'prometheus' && ds.url === `http://prometheus:${prometheusPort}`);
  check(prometheusSources.length > 0, `no grafana data source at http://prometheus:${prometheusPort}`);
  const uids = new Set(prometheusSources.map((ds) => ds.uid));
  const providers = yamlIn('dashboards').flatMap((d) => (d['providers'] ?? []) as { options?: { path?: string } }[]);
  const dashboardDirs = providers.map((p) => hostPath(grafana, p.options?.path ?? '')).filter((dir) => dir !== undefined);
  check(dashboardDirs.length > 0, 'no grafana dashboard folder is provisioned from the repository');
  let queries = 0;
  for (const dir of dashboardDirs) {
    for (const file of files.list(dir).filter((f) => f.endsWith('.json'))) {
      type Panel = { title?: string; datasource?: { uid?: string }; targets?: { expr?: string; datasource?: { uid?: string } }[] };
      let dashboard: { panels?: Panel[] };
      try {
        dashboard = JSON.parse(files.read(join(dir, file))) as { panels?: Panel[] };
      } catch (err) {
        problems.push(`${file} is not JSON: ${(err as Error).message}`);
        continue;
      }
      for (const panel of dashboard.panels ?? []) {
        for (const target of panel.targets ?? []) {
          queries++;
          checkQuery(`${file} "${panel.title}"`, target.expr ?? '');
          check(uids.has(target.datasource?.uid ?? panel.datasource?.uid), `${file} "${panel.title}" uses a data source that is not provisioned`);
        }
      }
    }
  }
  check(queries > 0, 'the grafana dashboards have no queries');
  return problems;
}

t.test('the monitoring profile scrapes the service and charts only metrics it exports', async (t) => {
  const svc = await startTestService({ ROLE: 'all' });
  t.teardown(() => svc.stop());
  const exported = exportedNames(await (await fetch(`${svc.url}/metrics`)).text());
  t.ok(exported.has('flash_coupon_admissions_total') && exported.has('flash_coupon_consumer_lag_messages'), 'the service exports its metrics');
  const defaults = loadConfig({ env: {} });
  t.same(monitoringProblems(readCompose(), repoFiles(), exported, defaults), []);

  t.same(promqlMetrics('histogram_quantile(0.99, sum by (le) (rate(a_bucket{x="y"}[1m]))) / b > 1.5e9 and on(i) c'), ['a_bucket', 'b', 'c']);
  // Broken copies are noticed.
  const dashboardPath = 'ops/grafana/dashboards/flash-coupon.json';
  const dashboard = readFileSync(join(PACKAGE_ROOT, dashboardPath), 'utf8');
  const broken = (edit: (all: Record<string, Service>) => void, overrides: Record<string, string> = {}): string => {
    const doc = readCompose();
    edit(services(doc));
    return monitoringProblems(doc, repoFiles(overrides), exported, defaults).join('\n');
  };
  t.match(broken(() => undefined, { [dashboardPath]: dashboard.replace('flash_coupon_gate_seconds_bucket', 'flash_coupon_gate_latency_bucket') }), /flash_coupon_gate_latency_bucket is not a metric/);
  t.match(broken(() => undefined, { [dashboardPath]: dashboard.slice(0, -10) }), /is not JSON/);
  t.match(broken(() => undefined, { 'ops/prometheus/prometheus.yml': readFileSync(join(PACKAGE_ROOT, 'ops/prometheus/prometheus.yml'), 'utf8').replace(`${SERVICE}:8080`, `${SERVICE}:9090`) }), /no prometheus scrape target/);
  const alerts = readFileSync(join(PACKAGE_ROOT, 'ops/prometheus/alerts.yml'), 'utf8');
  t.match(broken(() => undefined, { 'ops/prometheus/alerts.yml': alerts.replace('flash_coupon_dlq_messages_total', 'flash_coupon_dead_letters_total') }), /alert FlashCouponDeadLetters: flash_coupon_dead_letters_total/);
  t.match(broken((all) => { delete all['grafana']!.profiles; }), /grafana is not in the monitoring profile/);
  t.match(broken((all) => { all['prometheus']!.ports = ['9091:9091']; }), /no grafana data source at http:\/\/prometheus:9091/);
});
