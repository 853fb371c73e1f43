/**
 * `npm run stack`'s own two settings, kept out of the service's Config: where the stack
 * keeps its data and pids, and where Kafka's jars are cached. Read like the service's
 * (env or flag, one line naming a bad value), from the same command line.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { configFrom, type Config, type ConfigSource } from '../../src/config/index.js';
import { readVariables } from '../../src/config/read.js';
import { VARIABLES, text, type Values, type VariableTable } from '../../src/config/variables.js';
import { PACKAGE_ROOT } from '../../src/paths.js';

export const STACK_VARIABLES = {
  STACK_DIR: { description: 'Where `npm run stack` keeps broker data and pids (relative to the repository)', default: '.stack', parse: text(1, 4096) },
  STACK_CACHE_DIR: { description: 'Where downloaded Kafka jars are cached (outside the repository)', default: join(homedir(), '.cache', 'flash-coupon'), parse: text(1, 4096) },
} as const satisfies VariableTable;

export interface StackSettings {
  /** Absolute. */
  readonly dir: string;
  readonly cacheDir: string;
}

function settingsOf(values: Values<typeof STACK_VARIABLES>): StackSettings {
  return { dir: resolve(PACKAGE_ROOT, values.STACK_DIR), cacheDir: values.STACK_CACHE_DIR };
}

export function loadStackSettings(source: ConfigSource = {}): StackSettings {
  return settingsOf(readVariables(STACK_VARIABLES, source).values);
}

/** The service's Config and the stack's settings from one env and one list of flags of either. */
export function loadStack(source: ConfigSource = {}): { config: Config; stack: StackSettings } {
  const read = readVariables({ ...VARIABLES, ...STACK_VARIABLES }, source);
  return { config: configFrom(read), stack: settingsOf(read.values) };
}
