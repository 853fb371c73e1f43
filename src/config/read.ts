/**
 * Reads a table of variables (the service's, or the local stack's) from the environment
 * and flags: flags win over env, env over the default, and the first bad value stops with
 * one line naming the variable.
 */
import { AppError } from '../errors.js';
import { parseFlags, type FlagSpec } from './args.js';
import { InvalidValue, flagOf, type Parsed, type Values, type VariableTable } from './variables.js';

export interface ConfigSource {
  env?: Readonly<Record<string, string | undefined>>;
  /** CLI flags such as ["--port", "9000"] or ["--port=9000"]; they win over env. */
  argv?: readonly string[];
  /** CPUs the process may use (default: os.availableParallelism()); some defaults follow it. */
  cores?: number;
}

export interface ReadVariables<T extends VariableTable> {
  readonly values: Values<T>;
  /** The variables set by env or flag rather than left at their default. */
  readonly given: ReadonlySet<string>;
}

/** Values hidden from error lines, which end up in logs. */
const SECRET = new Set(['ADMIN_TOKEN', 'JWT_SECRET']);

export function readVariables<const T extends VariableTable>(table: T, source: ConfigSource): ReadVariables<T> {
  const names = Object.keys(table);
  const specs: Record<string, FlagSpec> = Object.fromEntries(names.map((name) => [flagOf(name).slice(2), { type: 'string' }]));
  const flags: Readonly<Record<string, string | boolean | undefined>> = parseFlags(source.argv ?? [], specs).values;
  const values: Record<string, Parsed> = {};
  const given = new Set<string>();
  for (const name of names) {
    const flag = flags[flagOf(name).slice(2)];
    const raw = typeof flag === 'string' ? flag : source.env?.[name];
    if (raw !== undefined) given.add(name);
    const input = raw ?? table[name].default;
    if (input === undefined) continue;
    try {
      values[name] = table[name].parse(input);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      const shown = SECRET.has(name) ? '(hidden)' : JSON.stringify(input);
      throw new AppError('CONFIG_INVALID', `Invalid configuration: ${name} ${err.message} (got ${shown})`);
    }
  }
  // Each value came from its own variable's parse (or is absent: no default, not given);
  // TypeScript cannot follow that through the loop.
  return { values: values as Values<T>, given };
}
