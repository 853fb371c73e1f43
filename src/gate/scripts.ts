/**
 * The gate's Lua scripts with typed results: lua/admit-3.lua, release-2, init-meta-1 and
 * restore-users-2 (their KEYS and ARGV are listed in each file's header).
 */
import type { Redis } from 'ioredis';
import { defineScript, integerArrayReply, integerReply, UnexpectedScriptReply, type LuaScript } from '../redis/scripts.js';
import { GateCode, type GateResult } from './codes.js';

/** The coupon's gate keys are absent (unknown coupon, or Redis lost them). */
export const MISSING = 'MISSING';

/** One result per request, in order, or MISSING for the whole batch. */
export function decodeAdmitReply(reply: unknown): GateResult[] | typeof MISSING {
  const flat = integerArrayReply('admit-3', reply);
  if (flat.length === 1 && flat[0] === GateCode.MISSING) return MISSING;
  if (flat.length % 2 !== 0) throw new UnexpectedScriptReply(`admit-3 returned ${flat.length} numbers, expected pairs`);
  const results: GateResult[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const code = flat[i] as number;
    if (code < GateCode.ADMITTED || code > GateCode.EXPIRED) throw new UnexpectedScriptReply(`admit-3 returned code ${code}`);
    results.push({ code: code as GateCode, ticket: flat[i + 1] as number });
  }
  return results;
}

/** 1/0 -> true/false. */
export function decodeFlag(file: string, reply: unknown): boolean {
  const value = integerReply(file, reply);
  if (value !== 0 && value !== 1) throw new UnexpectedScriptReply(`${file} returned ${value}, expected 0 or 1`);
  return value === 1;
}

/** Users added, or ALREADY_REBUILT when another process reopened the gate first. */
export const ALREADY_REBUILT = 'ALREADY_REBUILT';

export function decodeRestoreReply(reply: unknown): number | typeof ALREADY_REBUILT {
  const value = integerReply('restore-users-2', reply);
  if (value === -1) return ALREADY_REBUILT;
  if (value < 0) throw new UnexpectedScriptReply(`restore-users-2 returned ${value}`);
  return value;
}

export interface GateScripts {
  admit: LuaScript<GateResult[] | typeof MISSING>;
  release: LuaScript<boolean>;
  initMeta: LuaScript<boolean>;
  restoreUsers: LuaScript<number | typeof ALREADY_REBUILT>;
}

export function defineGateScripts(redis: Redis): GateScripts {
  return {
    admit: defineScript(redis, 'admit-3', decodeAdmitReply),
    release: defineScript(redis, 'release-2', (reply) => decodeFlag('release-2', reply)),
    initMeta: defineScript(redis, 'init-meta-1', (reply) => decodeFlag('init-meta-1', reply)),
    restoreUsers: defineScript(redis, 'restore-users-2', decodeRestoreReply),
  };
}
