/**
 * The gate's Lua scripts with typed results: lua/admit-4.lua, call-outcome-1,
 * release-call-4, init-meta-1, and the rebuild's begin-rebuild-2, stage-users-2 and
 * finish-rebuild-5 (KEYS and ARGV in each file's header).
 */
import type { RedisClient } from '../redis/client.js';
import { defineScript, integerArrayReply, integerReply, UnexpectedScriptReply, type LuaScript } from '../redis/scripts.js';
import { AdmitStatus, GateCode } from './codes.js';

export type AdmitReply =
  /** The gate's ticket sequence is behind a ticket the caller handed off: it lost data. */
  | { status: 'BEHIND' }
  | { status: 'REBUILDING' }
  | { status: 'LATE' }
  | { status: 'MISSING' }
  /** `now`: Redis's clock (epoch ms); `decisions` one [code, ticket] per request, in order. */
  | { status: 'DECIDED'; now: number; decisions: [GateCode, number][] };

export function decodeAdmitReply(reply: unknown): AdmitReply {
  const flat = integerArrayReply('admit-4', reply);
  if (flat.length === 1 && flat[0] === AdmitStatus.BEHIND) return { status: 'BEHIND' };
  if (flat.length === 1 && flat[0] === AdmitStatus.REBUILDING) return { status: 'REBUILDING' };
  if (flat.length === 1 && flat[0] === AdmitStatus.LATE) return { status: 'LATE' };
  if (flat.length === 1 && flat[0] === AdmitStatus.MISSING) return { status: 'MISSING' };
  if (flat[0] !== AdmitStatus.DECIDED || flat.length % 2 !== 0) throw new UnexpectedScriptReply(`admit-4 returned ${JSON.stringify(flat.slice(0, 6))}... (${flat.length} numbers)`);
  const decisions: [GateCode, number][] = [];
  for (let i = 2; i < flat.length; i += 2) {
    const code = flat[i] as number;
    if (code < GateCode.ADMITTED || code > GateCode.EXPIRED) throw new UnexpectedScriptReply(`admit-4 returned code ${code}`);
    decisions.push([code as GateCode, flat[i + 1] as number]);
  }
  return { status: 'DECIDED', now: flat[1] as number, decisions };
}

/** A hand-off marker: "deadline|admittedAt|user1|ticket1|user2|ticket2...". */
export interface HandoffMarker {
  deadline: number;
  admittedAt: number;
  admitted: [userId: string, ticket: number][];
}

export function parseMarker(raw: string): HandoffMarker {
  const parts = raw.split('|');
  if (parts.length < 4 || parts.length % 2 !== 0) throw new UnexpectedScriptReply(`hand-off marker "${raw.slice(0, 100)}" has ${parts.length} parts`);
  const admitted: [string, number][] = [];
  for (let i = 2; i < parts.length; i += 2) admitted.push([parts[i] as string, Number(parts[i + 1])]);
  return { deadline: Number(parts[0]), admittedAt: Number(parts[1]), admitted };
}

export type CallOutcome = 'TOO_EARLY' | 'ADMITTED_NOBODY' | HandoffMarker;

export function decodeCallOutcome(reply: unknown): CallOutcome {
  if (!Array.isArray(reply) || reply.length === 0) throw new UnexpectedScriptReply(`call-outcome-1 returned ${JSON.stringify(reply)}`);
  const [status, marker] = reply as unknown[];
  if (status === -1) return 'TOO_EARLY';
  if (status === 0) return 'ADMITTED_NOBODY';
  if (status === 1 && typeof marker === 'string') return parseMarker(marker);
  throw new UnexpectedScriptReply(`call-outcome-1 returned ${JSON.stringify(reply)}`);
}

export type ReleaseOutcome = 'TOO_EARLY' | { released: number; kept: number };

export function decodeReleaseReply(reply: unknown): ReleaseOutcome {
  const flat = integerArrayReply('release-call-4', reply);
  if (flat.length === 1 && flat[0] === -1) return 'TOO_EARLY';
  if (flat.length !== 2) throw new UnexpectedScriptReply(`release-call-4 returned ${JSON.stringify(flat)}`);
  return { released: flat[0] as number, kept: flat[1] as number };
}

/** 1/0 -> true/false. */
export function decodeFlag(file: string, reply: unknown): boolean {
  const value = integerReply(file, reply);
  if (value !== 0 && value !== 1) throw new UnexpectedScriptReply(`${file} returned ${value}, expected 0 or 1`);
  return value === 1;
}

/** begin-rebuild-2: whether the caller holds the rebuild mark (taken or renewed). */
export function decodeBeginRebuild(reply: unknown): boolean {
  if (!Array.isArray(reply) || reply.length !== 2 || (reply[0] !== 0 && reply[0] !== 1)) throw new UnexpectedScriptReply(`begin-rebuild-2 returned ${JSON.stringify(reply)}`);
  return reply[0] === 1;
}

/** stage-users-2: users staged, or LOST_MARK when the caller no longer holds the rebuild. */
export const LOST_MARK = 'LOST_MARK';

export function decodeStageReply(reply: unknown): number | typeof LOST_MARK {
  const value = integerReply('stage-users-2', reply);
  if (value === -1) return LOST_MARK;
  if (value < 0) throw new UnexpectedScriptReply(`stage-users-2 returned ${value}`);
  return value;
}

export interface GateScripts {
  admit: LuaScript<AdmitReply>;
  callOutcome: LuaScript<CallOutcome>;
  releaseCall: LuaScript<ReleaseOutcome>;
  initMeta: LuaScript<boolean>;
  beginRebuild: LuaScript<boolean>;
  stageUsers: LuaScript<number | typeof LOST_MARK>;
  finishRebuild: LuaScript<boolean>;
}

export function defineGateScripts(redis: RedisClient): GateScripts {
  return {
    admit: defineScript(redis, 'admit-4', decodeAdmitReply),
    callOutcome: defineScript(redis, 'call-outcome-1', decodeCallOutcome),
    releaseCall: defineScript(redis, 'release-call-4', decodeReleaseReply),
    initMeta: defineScript(redis, 'init-meta-1', (reply) => decodeFlag('init-meta-1', reply)),
    beginRebuild: defineScript(redis, 'begin-rebuild-2', decodeBeginRebuild),
    stageUsers: defineScript(redis, 'stage-users-2', decodeStageReply),
    finishRebuild: defineScript(redis, 'finish-rebuild-5', (reply) => decodeFlag('finish-rebuild-5', reply)),
  };
}
