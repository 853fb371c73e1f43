/**
 * Loads lua/*.lua once and registers each as an ioredis command (EVALSHA with a NOSCRIPT
 * fallback). The command name carries a hash of the script, so two versions of the
 * service sharing a Redis never call each other's scripts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { LUA_DIR } from '../paths.js';

/** Script file name -> number of keys (undefined: the caller passes the count first). */
const SCRIPTS = {
  admit: undefined,
  release: 2,
  'init-meta': 1,
  'restore-users': 2,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

export type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

export type GateScripts = Record<ScriptName, ScriptCall> & { sources: string[] };

export function defineScripts(redis: Redis): GateScripts {
  const scripts = { sources: [] as string[] } as GateScripts;
  for (const [name, numberOfKeys] of Object.entries(SCRIPTS) as [ScriptName, number | undefined][]) {
    const lua = readFileSync(join(LUA_DIR, `${name}.lua`), 'utf8');
    scripts.sources.push(lua);
    const commandName = `fc_${name.replaceAll('-', '_')}_${createHash('sha1').update(lua).digest('hex').slice(0, 10)}`;
    redis.defineCommand(commandName, numberOfKeys === undefined ? { lua } : { lua, numberOfKeys });
    const command = (redis as unknown as Record<string, ScriptCall>)[commandName];
    if (command === undefined) throw new Error(`ioredis did not define ${commandName}`);
    scripts[name] = command.bind(redis);
  }
  return scripts;
}
