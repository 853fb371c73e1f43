/**
 * `npm run profile:<tool> -- ...` options, parsed from argv in this one place. The first
 * argument names the tool; anything after a lone `--` is passed to the service.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/index.js';
import type { Queue } from './options.js';
import { isScenarioName, SCENARIOS, type Scenario } from './scenarios.js';

/** The three clinic tools, and a plain `node --cpu-prof` run of the same load. */
export const PROFILE_TOOLS = ['doctor', 'flame', 'bubbleprof', 'cpuprof'] as const;
export type ProfileTool = (typeof PROFILE_TOOLS)[number];

export interface ProfileOptions {
  readonly tool: ProfileTool;
  /** The scenario, its `requests` shortened by --requests when given. */
  readonly scenario: Scenario;
  readonly queue: Queue;
  readonly concurrency: number;
  /**
   * all: one service in role all under the profiler. split: the profiler runs role api (front
   * door, gate, producer) and a separate, unprofiled process runs role consumer (the batch
   * writers): bubbleprof's default, since its logger, preloaded in every worker thread too,
   * has each thread truncate and overwrite the one data file.
   */
  readonly roles: 'all' | 'split';
  /** Requests sent to a throw-away coupon before the profiled load (0: none). */
  readonly warmup: number;
  /** Folder under which each run's own folder is made (default <repo>/.clinic). */
  readonly destRoot: string | undefined;
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  readonly kafkaBrokers: string | undefined;
  readonly keepData: boolean;
  readonly serviceArgs: readonly string[];
  readonly help: boolean;
}

export class ProfileUsageError extends Error {}

export const PROFILE_USAGE = `usage: npm run profile:doctor|profile:flame|profile:bubbleprof -- [options] [-- service flags]
       node dist/bench/profile.js doctor|flame|bubbleprof|cpuprof [options] [-- service flags]
  --scenario s1|s2      S1: 5,000 users, stock 500 (default); S2: 1,000,000 requests, 200,000 users, stock 100,000
  --requests N          fire only N of the scenario's requests (bubbleprof on a million is huge)
  --queue kafka|redis   queue mode of the service (default kafka)
  --concurrency N       connections of the load generator (default 100)
  --roles all|split     split: profile role api, run the batch writers in a separate unprofiled
                        consumer process (default for bubbleprof; all for the others)
  --warmup N            requests to a throw-away coupon before the profiled load (default 0)
  --dest DIR            folder for the run's output folder (default .clinic)
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)
  --keep-data           leave the run's rows, Redis keys and topic in place`;

const STRING = { type: 'string' } as const;

function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new ProfileUsageError(`--${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function storeUrl(flag: string, raw: string | undefined, key: 'MYSQL_URL' | 'REDIS_URL' | 'KAFKA_BROKERS'): void {
  if (raw === undefined) return;
  try {
    loadConfig({ env: { [key]: raw } });
  } catch (err) {
    throw new ProfileUsageError(`--${flag}: ${(err as Error).message.replace(/^Invalid configuration: /, '')}`);
  }
}

export function isProfileTool(value: string | undefined): value is ProfileTool {
  return (PROFILE_TOOLS as readonly (string | undefined)[]).includes(value);
}

export function parseProfileOptions(argv: readonly string[]): ProfileOptions {
  const end = argv.indexOf('--');
  const own = end === -1 ? [...argv] : argv.slice(0, end);
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: own,
      strict: true,
      allowPositionals: true,
      options: {
        scenario: STRING, requests: STRING, queue: STRING, roles: STRING, concurrency: STRING, warmup: STRING, dest: STRING,
        'mysql-url': STRING, 'redis-url': STRING, 'kafka-brokers': STRING,
        'keep-data': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ProfileUsageError((err as Error).message);
  }
  const help = values['help'] === true;
  const [tool, ...extra] = positionals;
  if (!isProfileTool(tool)) {
    if (help && tool === undefined) return { ...defaultsFor('doctor'), help };
    throw new ProfileUsageError(`the first argument must be one of ${PROFILE_TOOLS.join(', ')} (got ${tool === undefined ? 'nothing' : `"${tool}"`})`);
  }
  if (extra.length > 0) throw new ProfileUsageError(`unexpected argument "${extra[0]}"`);
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const name = str('scenario') ?? 's1';
  if (!isScenarioName(name)) throw new ProfileUsageError(`--scenario must be s1 or s2 (got "${name}")`);
  const queue = str('queue') ?? 'kafka';
  if (queue !== 'kafka' && queue !== 'redis') throw new ProfileUsageError(`--queue must be kafka or redis (got "${queue}")`);
  const roles = str('roles') ?? (tool === 'bubbleprof' ? 'split' : 'all');
  if (roles !== 'all' && roles !== 'split') throw new ProfileUsageError(`--roles must be all or split (got "${roles}")`);
  const base = SCENARIOS[name];
  const requests = integer('requests', str('requests'), base.requests, 1, base.requests);
  storeUrl('mysql-url', str('mysql-url'), 'MYSQL_URL');
  storeUrl('redis-url', str('redis-url'), 'REDIS_URL');
  storeUrl('kafka-brokers', str('kafka-brokers'), 'KAFKA_BROKERS');
  const dest = str('dest');
  if (dest !== undefined && dest.trim() === '') throw new ProfileUsageError('--dest must name a folder');
  const defaults = defaultsFor(tool);
  return {
    ...defaults,
    scenario: { ...base, requests },
    queue,
    roles,
    concurrency: integer('concurrency', str('concurrency'), base.defaultConcurrency, 1, 10_000),
    warmup: integer('warmup', str('warmup'), 0, 0, 1_000_000),
    destRoot: dest,
    mysqlUrl: str('mysql-url') ?? defaults.mysqlUrl,
    redisUrl: str('redis-url') ?? defaults.redisUrl,
    kafkaBrokers: str('kafka-brokers'),
    keepData: values['keep-data'] === true,
    serviceArgs: end === -1 ? [] : argv.slice(end + 1),
    help,
  };
}

function defaultsFor(tool: ProfileTool): ProfileOptions {
  const config = loadConfig({ env: {} });
  return {
    tool,
    scenario: SCENARIOS.s1,
    queue: 'kafka',
    roles: tool === 'bubbleprof' ? 'split' : 'all',
    concurrency: SCENARIOS.s1.defaultConcurrency,
    warmup: 0,
    destRoot: undefined,
    mysqlUrl: config.mysql.url,
    redisUrl: config.redis.url,
    kafkaBrokers: undefined,
    keepData: false,
    serviceArgs: [],
    help: false,
  };
}
