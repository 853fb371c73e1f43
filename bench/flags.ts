/**
 * What the bench commands (bench, soak, profile) share in reading their command line: the
 * one parser of src/config/args.ts, with a lone `--` handing the rest to the service, and
 * the checks of the values every command takes the same way.
 */
import { parseFlags, UsageError, type FlagSpecs, type ParsedArgs } from '../src/config/args.js';
import { loadConfig, type QueueKind } from '../src/config/index.js';

export const STRING = { type: 'string' } as const;
export const SWITCH = { type: 'boolean' } as const;

/** Flags every bench command takes: where the stores are, whether to keep the run's data, and help. */
export const COMMON_FLAGS = {
  'mysql-url': STRING,
  'redis-url': STRING,
  'kafka-brokers': STRING,
  'keep-data': SWITCH,
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpecs;

export const QUEUES = ['kafka', 'redis'] as const satisfies readonly QueueKind[];

export function parseCommand<const S extends FlagSpecs>(argv: readonly string[], specs: S, options: { positionals?: boolean } = {}): ParsedArgs<S> {
  const parsed = parseFlags(argv, specs, { ...options, rest: true });
  for (const [name, value] of Object.entries(parsed.values)) {
    // Here an empty value (`--json=`) is a slip, not a way to unset something.
    if (value === '') throw new UsageError(`--${name} needs a value`);
  }
  return parsed;
}

export function integer(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max} (got "${raw}")`);
  return Number(raw);
}

export function decimal(flag: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) throw new UsageError(`${flag} must be a number from ${min} to ${max} (got "${raw}")`);
  return value;
}

export function choice<const T extends string>(flag: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  if (raw === undefined) return fallback;
  const found = allowed.find((value) => value === raw);
  if (found === undefined) throw new UsageError(`${flag} must be ${allowed.join(' or ')} (got "${raw}")`);
  return found;
}

export interface Stores {
  readonly mysqlUrl: string;
  readonly redisUrl: string;
  /** Given only when the user named brokers; the service then uses exactly these. */
  readonly kafkaBrokers: string | undefined;
}

/** Checked with the service's own rules, so the bench and the service agree on them. */
export function stores(values: { readonly 'mysql-url'?: string; readonly 'redis-url'?: string; readonly 'kafka-brokers'?: string }): Stores {
  const checked = (flag: keyof typeof values, key: 'MYSQL_URL' | 'REDIS_URL' | 'KAFKA_BROKERS'): void => {
    const raw = values[flag];
    if (raw === undefined) return;
    try {
      loadConfig({ env: { [key]: raw } });
    } catch (err) {
      throw new UsageError(`--${flag}: ${(err as Error).message.replace(/^Invalid configuration: /, '')}`);
    }
  };
  checked('mysql-url', 'MYSQL_URL');
  checked('redis-url', 'REDIS_URL');
  checked('kafka-brokers', 'KAFKA_BROKERS');
  const defaults = loadConfig({ env: {} });
  return {
    mysqlUrl: values['mysql-url'] ?? defaults.mysql.url,
    redisUrl: values['redis-url'] ?? defaults.redis.url,
    kafkaBrokers: values['kafka-brokers'],
  };
}

/**
 * Every value of a flag that may be given several times (`--url a --url b`), and argv
 * without them, for the one parser (which keeps only the last). Stops at a lone `--`.
 */
export function repeated(argv: readonly string[], flag: string): { values: string[]; rest: string[] } {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === `--${flag}`) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-') || value === '') throw new UsageError(`--${flag} needs a value`);
      values.push(value);
      i++;
    } else if (arg.startsWith(`--${flag}=`)) {
      const value = arg.slice(flag.length + 3);
      if (value === '') throw new UsageError(`--${flag} needs a value`);
      values.push(value);
    } else {
      rest.push(arg);
    }
  }
  return { values, rest };
}

/** `--url` (one or more) and `--admin-token`: running front doors to load instead of a service the command starts. */
export function targets(urls: readonly string[], adminToken: string | undefined, serviceArgs: readonly string[], command: string): string[] {
  if (urls.length === 0) return [];
  for (const url of urls) if (!/^https?:\/\/[^/]+/.test(url)) throw new UsageError(`--url must be http(s)://host:port (got "${url}")`);
  if (adminToken === undefined) throw new UsageError("--url needs --admin-token (the running service's ADMIN_TOKEN)");
  if (serviceArgs.length > 0) throw new UsageError(`flags after -- go to a service the ${command} starts; with --url there is none`);
  const trimmed = urls.map((url) => url.replace(/\/+$/, ''));
  if (new Set(trimmed).size !== trimmed.length) throw new UsageError('--url names the same front door twice');
  return trimmed;
}

/** One `--url` and `--admin-token`: a running service to load instead of one the command starts. */
export function target(values: { readonly url?: string; readonly 'admin-token'?: string }, serviceArgs: readonly string[], command: string): string | undefined {
  return targets(values.url === undefined ? [] : [values.url], values['admin-token'], serviceArgs, command)[0];
}
