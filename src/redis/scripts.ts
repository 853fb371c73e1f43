/**
 * The one loader of lua/*.lua. A script's file is `<name>-<N>.lua`, N its key count; each
 * is registered as an ioredis command (EVALSHA with a NOSCRIPT fallback) whose name carries
 * a hash of the source, so two versions of the service sharing a Redis never call each
 * other's scripts. Every script comes with a decoder, so callers get typed results.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import type { RedisClient } from './client.js';
import { LUA_DIR } from '../paths.js';

export type ScriptArg = string | number;

export interface LuaScript<Result> {
  /** The file name without `.lua`, e.g. `admit-4`. */
  readonly file: string;
  readonly keyCount: number;
  /** The source, for SCRIPT LOAD at start. */
  readonly source: string;
  run(keys: readonly string[], args: readonly ScriptArg[]): Promise<Result>;
}

/** A reply that does not have the shape the script documents: a bug, never user input. */
export class UnexpectedScriptReply extends Error {
  override readonly name = 'UnexpectedScriptReply';
}

const FILE_NAME = /^[a-z][a-z-]*-(\d+)$/;

/** The key count a script's file name declares (`admit-4` -> 4). */
export function keyCountOf(file: string): number {
  const match = FILE_NAME.exec(file);
  if (match === null) throw new Error(`lua/${file}.lua: a script file is named <name>-<key count>.lua`);
  return Number(match[1]);
}

const sources = new Map<string, string>();

function sourceOf(file: string): string {
  let source = sources.get(file);
  if (source === undefined) {
    source = readFileSync(join(LUA_DIR, `${file}.lua`), 'utf8');
    sources.set(file, source);
  }
  return source;
}

type Command = (...args: ScriptArg[]) => Promise<unknown>;

export function defineScript<Result>(redis: RedisClient, file: string, decode: (reply: unknown) => Result): LuaScript<Result> {
  const keyCount = keyCountOf(file);
  const source = sourceOf(file);
  const commandName = `fc_${file.replaceAll('-', '_')}_${createHash('sha1').update(source).digest('hex').slice(0, 10)}`;
  redis.defineCommand(commandName, { lua: source, numberOfKeys: keyCount });
  const command = (redis as unknown as Record<string, Command | undefined>)[commandName];
  if (command === undefined) throw new Error(`ioredis did not define ${commandName}`);
  const bound = command.bind(redis);
  return {
    file,
    keyCount,
    source,
    async run(keys, args) {
      if (keys.length !== keyCount) throw new Error(`${file}: ${keys.length} keys given, the script takes ${keyCount}`);
      return decode(await bound(...keys, ...args));
    },
  };
}

/**
 * Loads every script into Redis now (SCRIPT LOAD), so the first request pays nothing: on a
 * cluster into every primary, since a script cache is per node (a promoted replica starts
 * without it: ioredis's NOSCRIPT fallback covers that).
 */
export async function preloadScripts(redis: RedisClient, scripts: readonly LuaScript<unknown>[]): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  await Promise.all(nodes.flatMap((node) => scripts.map((script) => node.script('LOAD', script.source))));
}

/** Decoders shared by the scripts' typed wrappers. */
export function integerReply(file: string, reply: unknown): number {
  if (typeof reply !== 'number' || !Number.isInteger(reply)) throw new UnexpectedScriptReply(`${file} returned ${JSON.stringify(reply)}, expected an integer`);
  return reply;
}

export function integerArrayReply(file: string, reply: unknown): number[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'number' && Number.isInteger(item))) {
    throw new UnexpectedScriptReply(`${file} returned ${JSON.stringify(reply)?.slice(0, 200)}, expected an array of integers`);
  }
  return reply as number[];
}

export function stringArrayReply(file: string, reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string')) {
    throw new UnexpectedScriptReply(`${file} returned ${JSON.stringify(reply)?.slice(0, 200)}, expected an array of strings`);
  }
  return reply as string[];
}
