/**
 * `npm run profile:<tool> -- ...` options, parsed from argv in this one place. The first
 * argument names the tool; anything after a lone `--` is passed to the service.
 */
import { UsageError } from '../src/config/args.js';
import { choice, COMMON_FLAGS, integer, parseCommand, QUEUES, STRING, stores } from './flags.js';
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

export const PROFILE_USAGE = `usage: npm run profile:doctor|profile:flame|profile:bubbleprof -- [options] [-- service flags]
       node dist/bench/profile.js doctor|flame|bubbleprof|cpuprof [options] [-- service flags]
  --scenario s1|s2|s3   S1: 5,000 users, stock 500 (default); S2: 1,000,000 requests, 200,000 users, stock 100,000;
                        S3: 2,000,000 requests, 200,000 users, 200 coupons of 500
  --requests N          fire only N of the scenario's requests (bubbleprof on a million is huge)
  --queue kafka|redis   queue mode of the service (default kafka)
  --concurrency N       connections of the load generator (default 100)
  --roles all|split     split: profile role api, run the batch writers in a separate unprofiled
                        consumer process (default for bubbleprof; all for the others)
  --warmup N            requests to a throw-away coupon before the profiled load (default 0)
  --dest DIR            folder for the run's output folder (default .clinic)
  --mysql-url, --redis-url, --kafka-brokers   where the stores are (default: the service defaults)
  --keep-data           leave the run's rows, Redis keys and topic in place`;

const FLAGS = {
  ...COMMON_FLAGS,
  scenario: STRING, requests: STRING, queue: STRING, roles: STRING, concurrency: STRING, warmup: STRING, dest: STRING,
} as const;

const SCENARIO_NAMES = Object.keys(SCENARIOS).filter(isScenarioName);

export function isProfileTool(value: string | undefined): value is ProfileTool {
  return (PROFILE_TOOLS as readonly (string | undefined)[]).includes(value);
}

export function parseProfileOptions(argv: readonly string[]): ProfileOptions {
  const { values, positionals, rest: serviceArgs } = parseCommand(argv, FLAGS, { positionals: true });
  const help = values.help === true;
  const [tool, ...extra] = positionals;
  if (!isProfileTool(tool)) {
    if (help && tool === undefined) return { ...defaultsFor('doctor'), help };
    throw new UsageError(`the first argument must be one of ${PROFILE_TOOLS.join(', ')} (got ${tool === undefined ? 'nothing' : `"${tool}"`})`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const base = SCENARIOS[choice('--scenario', values.scenario, 's1', SCENARIO_NAMES)];
  const queue = choice('--queue', values.queue, 'kafka', QUEUES);
  const roles = choice('--roles', values.roles, tool === 'bubbleprof' ? 'split' : 'all', ['all', 'split']);
  const requests = integer('--requests', values.requests, base.requests, 1, base.requests);
  const where = stores(values);
  const dest = values.dest;
  if (dest !== undefined && dest.trim() === '') throw new UsageError('--dest must name a folder');
  return {
    ...defaultsFor(tool),
    scenario: { ...base, requests },
    queue,
    roles,
    concurrency: integer('--concurrency', values.concurrency, base.defaultConcurrency, 1, 10_000),
    warmup: integer('--warmup', values.warmup, 0, 0, 1_000_000),
    destRoot: dest,
    ...where,
    keepData: values['keep-data'] === true,
    serviceArgs,
    help,
  };
}

function defaultsFor(tool: ProfileTool): ProfileOptions {
  return {
    tool,
    scenario: SCENARIOS.s1,
    queue: 'kafka',
    roles: tool === 'bubbleprof' ? 'split' : 'all',
    concurrency: SCENARIOS.s1.defaultConcurrency,
    warmup: 0,
    destRoot: undefined,
    ...stores({}),
    keepData: false,
    serviceArgs: [],
    help: false,
  };
}
