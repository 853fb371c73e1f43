/**
 * The admission gate: one atomic Lua call decides each coupon's requests of an event-loop
 * turn. When a coupon's keys are missing (unknown coupon, or Redis lost its data) the gate is
 * rebuilt from MySQL, the final truth, before any new admission for that coupon.
 *
 * A call whose answer never comes (a timeout, a dropped connection) is never guessed at: its
 * deadline on Redis's clock makes it admit nobody if it runs later, and once that deadline has
 * passed the call's hand-off marker says for sure whom it admitted (unresolved.ts).
 */
import { nodeServing, type RedisClient } from '../redis/client.js';
import type { Logger } from '../logger.js';
import type { Coupon } from '../store/coupons.js';
import { preloadScripts } from '../redis/scripts.js';
import { AdmitBatcher, type AdmitRequest } from './admit-batcher.js';
import type { RedisClock } from './clock.js';
import { GateCode, type AdmitCall, type GateResult } from './codes.js';
import { couponKeys, type CouponKeys } from './keys.js';
import { gateBatchSize, partialLosses } from './metrics.js';
import type { FrontDoorPresence } from './instances.js';
import { Rebuilds, type RebuildSource } from './rebuild.js';
import { defineGateScripts, type GateScripts } from './scripts.js';
import { UnresolvedCalls } from './unresolved.js';

/** Shared answers for a whole batch; never mutated. */
const MISSING_RESULT: GateResult = Object.freeze({ code: GateCode.MISSING, ticket: 0 });
const UNAVAILABLE_RESULT: GateResult = Object.freeze({ code: GateCode.UNAVAILABLE, ticket: 0 });
/** After a WAIT that went unconfirmed, the coupon's calls get 503 without Redis this long. */
const UNREPLICATED_PAUSE_MS = 1000;

export type GateSource = RebuildSource;

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

export interface GateOptions {
  /** This front door's id: the prefix of its call ids, so the reconciler knows whose a marker is. */
  instanceId: string;
  clock: RedisClock;
  presence: Pick<FrontDoorPresence, 'live'>;
  /** This deployment's set of coupons being rebuilt (instances.ts). */
  rebuildingKey: string;
  /** How long after sending an admit call may still run (its deadline on Redis's clock). */
  admitBudgetMs: number;
  /** QUEUE=redis: the pending list the admit script pushes admitted requests onto. */
  queueKey: string | undefined;
  /** Replicas that must confirm a call's admissions (WAIT) before they are handed off; 0: none. */
  waitReplicas?: number;
  log: Logger;
  /** Told of each call that admitted someone (the front door registers the coupon for the reconciler). */
  onAdmitted?: (couponId: number) => void;
  unknownTtlMs?: number;
}

export class Gate {
  private readonly scripts: GateScripts;
  private readonly batcher: AdmitBatcher;
  private readonly unresolved: UnresolvedCalls;
  private callSeq = 0;
  /** Calls of this process whose admissions are not all handed off yet, by call id. */
  private readonly openCalls = new Map<string, AdmitCall>();
  /**
   * Calls sent and not yet answered or resolved. Their marker may already be in Redis: were
   * the reconciler to take such a call for abandoned, it could release users about to be
   * handed off (a 202 whose slot is sold again, then refused by the writer).
   */
  private readonly sentCalls = new Map<string, number>();
  private readonly queueKey: string | undefined;
  private readonly unknownTtlMs: number;
  private readonly rebuilds: Rebuilds;
  /** Unknown coupon ids, remembered briefly so a flood of bad ids does not reach MySQL. */
  private readonly unknown = new Map<number, number>();
  /**
   * The highest ticket this front door has handed off, per coupon: the floor admit-4 checks.
   * A gate below it lost admissions that were answered 202 (a replica promoted without
   * them); the restart watch notices a new primary only seconds later, too late by then.
   */
  private readonly handedOffUpTo = new Map<number, number>();
  /**
   * Coupons whose last WAIT went unconfirmed (their shard has no replica that answers), until
   * when (Date.now()). WAIT blocks the shard's one connection for its whole timeout: calling it
   * for every batch would queue every call behind it, and answers would take seconds.
   */
  private readonly unreplicatedUntil = new Map<number, number>();

  constructor(
    private readonly redis: RedisClient,
    private readonly source: GateSource,
    private readonly options: GateOptions,
  ) {
    this.queueKey = options.queueKey;
    this.unknownTtlMs = options.unknownTtlMs ?? 1000;
    this.scripts = defineGateScripts(redis);
    this.unresolved = new UnresolvedCalls(this.scripts, options.clock, this.queueKey, options.log);
    this.rebuilds = new Rebuilds(redis, this.scripts, source, {
      instanceId: options.instanceId,
      clock: options.clock,
      presence: options.presence,
      rebuildingKey: options.rebuildingKey,
      openCallsFor: (couponId) => this.openCallsFor(couponId),
      // A rebuilt sequence ends at the highest stored ticket, which may be below a handed-off
      // ticket that was stored refused: start the floor again rather than rebuild forever.
      onSettled: (couponId) => this.handedOffUpTo.delete(couponId),
      log: options.log,
    });
    this.rebuilds.start();
    this.batcher = new AdmitBatcher(
      (couponId, requests) => this.decide(couponId, requests),
      (size) => gateBatchSize.observe(size),
    );
  }

  get instanceId(): string {
    return this.options.instanceId;
  }

  /** Ids of this process's calls still handing off (the reconciler leaves their markers alone). */
  isOpenCall(callId: string): boolean {
    return this.sentCalls.has(callId) || this.openCalls.has(callId) || this.unresolved.has(callId);
  }

  /** Calls whose answer was lost and that are still to be released (for a clean drain). */
  get unresolvedCount(): number {
    return this.unresolved.size;
  }

  stop(): void {
    this.unresolved.stop();
    this.rebuilds.stop();
  }

  /** This process's admissions of the coupon not yet handed off (a rebuild waits for them). */
  private openCallsFor(couponId: number): number {
    let open = 0;
    for (const call of this.openCalls.values()) if (call.couponId === couponId) open++;
    for (const sentFor of this.sentCalls.values()) if (sentFor === couponId) open++;
    return open;
  }

  /** Rebuilds the coupon's gate from MySQL even though it looks whole (a partial loss was found). */
  rebuildNow(couponId: number): void {
    this.rebuilds.ensure(couponId, true);
  }

  /** Loads every script into Redis now (SCRIPT LOAD), so the first request pays nothing. */
  async load(): Promise<void> {
    await preloadScripts(this.redis, Object.values(this.scripts));
  }

  async admit(couponId: number, userId: string): Promise<GateResult> {
    const result = await this.batcher.admit(couponId, userId);
    if (result.code !== GateCode.MISSING) return result;
    // An unknown coupon, or one whose gate Redis lost: rebuilt in the background meanwhile.
    return (await this.rebuild(couponId)) ? UNAVAILABLE_RESULT : result;
  }

  /** One admitted request of `call` is on the queue; the last one drops the call's marker. */
  handedOff(call: AdmitCall, ticket: number): void {
    if (ticket > (this.handedOffUpTo.get(call.couponId) ?? 0)) this.handedOffUpTo.set(call.couponId, ticket);
    call.pending--;
    if (call.pending > 0) return;
    this.openCalls.delete(call.id);
    // Left behind if this fails: the reconciler finds the rows and drops it.
    this.redis.hdel(couponKeys(call.couponId).handoff, call.id).catch(() => undefined);
  }

  private async decide(couponId: number, requests: AdmitRequest[]): Promise<GateResult[]> {
    const paused = this.unreplicatedUntil.get(couponId);
    if (paused !== undefined) {
      if (Date.now() < paused) return requests.map(() => UNAVAILABLE_RESULT);
      this.unreplicatedUntil.delete(couponId);
    }
    const keys = couponKeys(couponId);
    const callId = `${this.options.instanceId}:${++this.callSeq}`;
    const deadline = Math.ceil(this.options.clock.now() + this.options.admitBudgetMs);
    const args: (string | number)[] = [couponId, this.queueKey === undefined ? 'none' : 'list', callId, deadline, this.handedOffUpTo.get(couponId) ?? 0];
    for (const request of requests) args.push(request.userId);
    // From sending until it is open or known to have admitted nobody (WAIT included): the
    // reconciler leaves its marker alone and a rebuild waits for it.
    this.sentCalls.set(callId, couponId);
    try {
      return await this.settle(couponId, callId, deadline, keys, args, requests);
    } finally {
      this.sentCalls.delete(callId);
    }
  }

  private async settle(couponId: number, callId: string, deadline: number, keys: CouponKeys, args: (string | number)[], requests: AdmitRequest[]): Promise<GateResult[]> {
    let reply;
    try {
      reply = await this.scripts.admit.run([keys.meta, keys.users, keys.handoff, this.queueKey ?? keys.handoff], args);
    } catch {
      // No answer: the call may have run. Find out for sure before anyone is told anything.
      const outcome = await this.unresolved.resolve(couponId, callId, deadline);
      if (outcome === 'ADMITTED_NOBODY') return requests.map(() => UNAVAILABLE_RESULT);
      if (!(await this.replicated(couponId, callId, deadline))) return requests.map(() => UNAVAILABLE_RESULT);
      const tickets = new Map(outcome.admitted);
      const call = this.openCall(couponId, callId, outcome.admittedAt, tickets.size);
      // Users the call admitted go on to their hand-off (a second request of one of them in the
      // batch is told it already has one, as the script told it); the others were refused for
      // a reason we no longer know, which 503 (retry) covers without a trace.
      const handed = new Set<string>();
      return requests.map(({ userId }) => {
        const ticket = tickets.get(userId);
        if (ticket === undefined) return UNAVAILABLE_RESULT;
        if (handed.has(userId)) return { code: GateCode.ALREADY_ISSUED, ticket };
        handed.add(userId);
        return { code: GateCode.ADMITTED, ticket, call };
      });
    }
    if (reply.status === 'LATE') return requests.map(() => UNAVAILABLE_RESULT);
    if (reply.status === 'REBUILDING') {
      this.rebuilds.ensure(couponId); // joins: this front door reports itself drained
      return requests.map(() => UNAVAILABLE_RESULT);
    }
    if (reply.status === 'MISSING') return requests.map(() => MISSING_RESULT);
    if (reply.status === 'BEHIND') {
      if (!this.rebuilds.isRunning(couponId)) {
        this.options.log.warn({ couponId, handedOffUpTo: this.handedOffUpTo.get(couponId) }, 'the gate is behind a ticket this front door handed off (Redis lost admissions): rebuilding it from MySQL');
        partialLosses.inc();
        this.rebuildNow(couponId);
      }
      return requests.map(() => UNAVAILABLE_RESULT);
    }
    let admitted = 0;
    for (const [code] of reply.decisions) if (code === GateCode.ADMITTED) admitted++;
    if (admitted > 0 && !(await this.replicated(couponId, callId, deadline))) return requests.map(() => UNAVAILABLE_RESULT);
    const call = admitted === 0 ? undefined : this.openCall(couponId, callId, reply.now, admitted);
    return reply.decisions.map(([code, ticket]) => (code === GateCode.ADMITTED ? { code, ticket, call } : { code, ticket }));
  }

  /**
   * REDIS_WAIT_REPLICAS: an admission only a primary holds is lost if a replica that lacks it
   * is promoted, and its 202 would then be admitted again past the stock. WAIT (on the
   * connection that wrote it) confirms the replicas have it; when they do not in time, the
   * call's admissions are released like a lost answer's and everyone is told 503.
   */
  private async replicated(couponId: number, callId: string, deadline: number): Promise<boolean> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted === 0) return true;
    try {
      const node = await nodeServing(this.redis, couponKeys(couponId).meta);
      if ((await node.wait(wanted, this.options.admitBudgetMs)) >= wanted) return true;
    } catch {
      // No answer to WAIT: not confirmed either.
    }
    this.unresolved.releaseLater(couponId, callId, deadline, 'not_replicated');
    this.unreplicatedUntil.set(couponId, Date.now() + UNREPLICATED_PAUSE_MS);
    return false;
  }

  private openCall(couponId: number, id: string, admittedAt: number, pending: number): AdmitCall {
    const call: AdmitCall = { couponId, id, admittedAt, pending };
    this.openCalls.set(id, call);
    this.options.onAdmitted?.(couponId);
    return call;
  }

  /** The hand-off markers of a coupon, by call id (for the reconciler). */
  async markers(couponId: number): Promise<Record<string, string>> {
    return this.redis.hgetall(couponKeys(couponId).handoff);
  }

  /**
   * Releases the admissions of a call that were never handed off, keeping `keep` (stored or
   * queued); TOO_EARLY while the call could still run.
   */
  releaseCall(couponId: number, callId: string, deadline: number, keep: readonly string[]): ReturnType<UnresolvedCalls['release']> {
    return this.unresolved.release(couponId, callId, deadline, keep);
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
   * For a coupon whose gate keys are missing: false when the coupon does not exist in MySQL
   * (remembered briefly, so a flood of bad ids does not reach MySQL); otherwise starts its
   * rebuild in the background (rebuild.ts) and returns true.
   */
  async rebuild(couponId: number): Promise<boolean> {
    if (this.rebuilds.isRunning(couponId)) return true;
    const seenUnknownAt = this.unknown.get(couponId);
    if (seenUnknownAt !== undefined && Date.now() - seenUnknownAt < this.unknownTtlMs) return false;
    if ((await this.source.findCoupon(couponId)) === undefined) {
      if (this.unknown.size > 10000) this.unknown.clear();
      this.unknown.set(couponId, Date.now());
      return false;
    }
    this.rebuilds.ensure(couponId);
    return true;
  }
}
