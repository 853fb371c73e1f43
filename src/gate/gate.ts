/**
 * The admission gate: one atomic Lua call decides each request. When a coupon's keys are
 * missing (unknown coupon, or Redis lost its data) the gate is rebuilt from MySQL, the
 * final truth, before any new admission for that coupon.
 */
import type { Redis } from 'ioredis';
import type { Coupon } from '../store/coupons.js';
import { AdmitBatcher, type AdmitRequest } from './admit-batcher.js';
import { GateCode, type GateResult } from './codes.js';
import { couponKeys } from './keys.js';
import { gateBatchSize } from './metrics.js';
import { preloadScripts } from '../redis/scripts.js';
import { ALREADY_REBUILT, defineGateScripts, MISSING, type GateScripts } from './scripts.js';

/** The answer for every request of a batch whose coupon has no gate keys; shared, never mutated. */
const MISSING_RESULT: GateResult = Object.freeze({ code: GateCode.MISSING, ticket: 0 });

/** Rows per restore-users call: bounded so one call never blocks Redis for long. */
const RESTORE_CHUNK = 2000;

export interface GateSource {
  /** The coupon from MySQL, or undefined when it does not exist. */
  findCoupon(couponId: number): Promise<Coupon | undefined>;
  /** [userId, ticket] of every stored holder, and the highest ticket stored. */
  loadHolders(couponId: number): Promise<{ holders: [string, number][]; maxTicket: number }>;
}

export interface GateCounts {
  total: number;
  /** Admissions holding a coupon now (released ones are not counted). */
  admitted: number;
  /** Requests answered by the gate so far, by answer. */
  answers: Record<'ADMITTED' | 'ALREADY_ISSUED' | 'SOLD_OUT' | 'NOT_STARTED' | 'EXPIRED', number>;
}

function epochMs(date: Date | null): number {
  return date === null ? 0 : date.getTime();
}

export class Gate {
  private readonly scripts: GateScripts;
  private readonly batcher: AdmitBatcher;
  private readonly rebuilding = new Map<number, Promise<boolean>>();
  /** Unknown coupon ids, remembered briefly so a flood of bad ids does not reach MySQL. */
  private readonly unknown = new Map<number, number>();

  constructor(
    private readonly redis: Redis,
    private readonly source: GateSource,
    /** QUEUE=redis: the pending list the admit script pushes admitted requests onto. */
    private readonly queueKey: string | undefined,
    private readonly unknownTtlMs = 1000,
  ) {
    this.scripts = defineGateScripts(redis);
    this.batcher = new AdmitBatcher(
      (couponId, requests) => this.decide(couponId, requests),
      (size) => gateBatchSize.observe(size),
    );
  }

  /** Loads every script into Redis now (SCRIPT LOAD), so the first request pays nothing. */
  async load(): Promise<void> {
    await preloadScripts(this.redis, Object.values(this.scripts));
  }

  async admit(couponId: number, userId: string, now = Date.now()): Promise<GateResult> {
    const first = await this.batcher.admit(couponId, userId, now);
    if (first.code !== GateCode.MISSING) return first;
    if (!(await this.rebuild(couponId))) return first;
    return this.batcher.admit(couponId, userId, now);
  }

  private async decide(couponId: number, requests: AdmitRequest[]): Promise<GateResult[]> {
    const keys = couponKeys(couponId);
    const args: (string | number)[] = [couponId, this.queueKey === undefined ? 'none' : 'list'];
    for (const request of requests) args.push(request.userId, request.now);
    const results = await this.scripts.admit.run([keys.meta, keys.users, this.queueKey ?? keys.handoff], args);
    return results === MISSING ? requests.map(() => MISSING_RESULT) : results;
  }

  /** Compensation: undoes an admission whose hand-off failed. */
  async release(couponId: number, userId: string, ticket: number): Promise<boolean> {
    const keys = couponKeys(couponId);
    return this.scripts.release.run([keys.meta, keys.users], [userId, ticket]);
  }

  /** Opens the gate of a newly created coupon. */
  async open(coupon: Coupon): Promise<void> {
    const keys = couponKeys(coupon.couponId);
    await this.scripts.initMeta.run([keys.meta], [coupon.totalQuantity, 0, 0, epochMs(coupon.startsAt), epochMs(coupon.expiresAt)]);
  }

  /** The user's ticket if the gate admitted them (stored or not yet stored). */
  async ticketOf(couponId: number, userId: string): Promise<number | undefined> {
    const ticket = await this.redis.hget(couponKeys(couponId).users, userId);
    return ticket === null ? undefined : Number(ticket);
  }

  async counts(couponId: number): Promise<GateCounts | undefined> {
    const codes = [GateCode.ADMITTED, GateCode.ALREADY_ISSUED, GateCode.SOLD_OUT, GateCode.NOT_STARTED, GateCode.EXPIRED];
    const [total, admitted, ...answered] = await this.redis.hmget(couponKeys(couponId).meta, 'total', 'admitted', ...codes.map((code) => `n:${code}`));
    if (total === null || admitted === null) return undefined;
    const count = (i: number): number => Number(answered[i] ?? 0);
    return {
      total: Number(total),
      admitted: Number(admitted),
      answers: { ADMITTED: count(0), ALREADY_ISSUED: count(1), SOLD_OUT: count(2), NOT_STARTED: count(3), EXPIRED: count(4) },
    };
  }

  /**
   * Rebuilds a coupon's gate from MySQL; returns false when the coupon does not exist.
   * One rebuild per coupon at a time in this process; across processes the Lua scripts
   * make concurrent rebuilds harmless (the first to finish wins, none overwrites).
   */
  rebuild(couponId: number): Promise<boolean> {
    const seenUnknownAt = this.unknown.get(couponId);
    if (seenUnknownAt !== undefined && Date.now() - seenUnknownAt < this.unknownTtlMs) return Promise.resolve(false);
    let running = this.rebuilding.get(couponId);
    if (running === undefined) {
      running = this.doRebuild(couponId).finally(() => this.rebuilding.delete(couponId));
      this.rebuilding.set(couponId, running);
    }
    return running;
  }

  private async doRebuild(couponId: number): Promise<boolean> {
    const coupon = await this.source.findCoupon(couponId);
    if (coupon === undefined) {
      if (this.unknown.size > 10000) this.unknown.clear();
      this.unknown.set(couponId, Date.now());
      return false;
    }
    const keys = couponKeys(couponId);
    const { holders, maxTicket } = await this.source.loadHolders(couponId);
    for (let i = 0; i < holders.length; i += RESTORE_CHUNK) {
      const flat = holders.slice(i, i + RESTORE_CHUNK).flat();
      if ((await this.scripts.restoreUsers.run([keys.meta, keys.users], flat)) === ALREADY_REBUILT) return true;
    }
    await this.scripts.initMeta.run([keys.meta], [coupon.totalQuantity, holders.length, maxTicket, epochMs(coupon.startsAt), epochMs(coupon.expiresAt)]);
    return true;
  }
}
