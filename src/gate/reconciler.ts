/**
 * The reconciler: finds admissions that were never handed off to the queue and puts their
 * stock back on sale. Such an admission is left by a front door that died between the gate
 * and the queue's acknowledgement (its hand-off marker stays in Redis with nobody to delete
 * it). A marker is settled only when its front door is gone (or it is this process's own and
 * no longer open), and only after the consumer group has committed past the queue's end
 * offsets read now, so every message that was written is stored by then: a user with a row
 * keeps the admission, a user with neither a row nor a message is released.
 */
import type { RedisClient } from '../redis/client.js';
import type { Logger } from '../logger.js';
import type { Gate } from './gate.js';
import { ownerOf, type FrontDoorPresence } from './instances.js';
import { couponKeys } from './keys.js';
import { callsReleased, partialLosses } from './metrics.js';
import { parseMarker, type HandoffMarker } from './scripts.js';

export interface ReconcileSources {
  /** QUEUE=kafka: resolves true once the writers group has committed past the end offsets read at the call. */
  queueCaughtUp(): Promise<boolean>;
  /** Of `userIds`, those with a stored row (issued, refused or dead-lettered) for the coupon. */
  storedUsers(couponId: number, userIds: readonly string[]): Promise<Set<string>>;
  /** Rows stored for the coupon and the highest ticket among them. */
  storedCounts(couponId: number): Promise<{ rows: number; maxTicket: number }>;
}

export interface CallReport {
  callId: string;
  owner: string;
  admittedAt: string;
  users: number;
  action: 'left (front door alive)' | 'left (queue not caught up)' | 'settled' | 'too early';
  released: number;
  kept: number;
}

/** Coupons not admitted to for this long, with no marker left, are dropped from the register. */
const FORGET_AFTER_MS = 3_600_000;

export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly gate: Gate,
    private readonly redis: RedisClient,
    private readonly presence: Pick<FrontDoorPresence, 'isAlive'>,
    private readonly queue: 'kafka' | 'redis',
    /** This deployment's register of coupons with markers (instances.ts): the ones it may settle. */
    private readonly couponsKey: string,
    private readonly sources: ReconcileSources,
    private readonly log: Logger,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.runOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'reconciliation round failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round over every coupon with markers. */
  async runOnce(): Promise<CallReport[]> {
    const reports: CallReport[] = [];
    const entries = await this.redis.zrange(this.couponsKey, 0, -1, 'WITHSCORES');
    for (let i = 0; i < entries.length; i += 2) {
      const couponId = Number(entries[i]);
      await this.checkNotBehind(couponId);
      const found = await this.reconcileCoupon(couponId);
      reports.push(...found);
      if (found.length === 0 && Date.now() - Number(entries[i + 1]) > FORGET_AFTER_MS) await this.redis.zrem(this.couponsKey, String(couponId));
    }
    return reports;
  }

  /**
   * A gate that counts fewer admissions than MySQL holds rows, or whose ticket sequence is
   * behind the highest stored ticket, lost part of its data (a restart from an older
   * snapshot, a failover to a replica that lagged): it is rebuilt from MySQL.
   */
  private async checkNotBehind(couponId: number): Promise<void> {
    const [admitted, seq, rebuilding] = await this.redis.hmget(couponKeys(couponId).meta, 'admitted', 'seq', 'rebuilding');
    if (admitted === null || seq === null || rebuilding !== null) return;
    const stored = await this.sources.storedCounts(couponId);
    if (stored.rows <= Number(admitted) && stored.maxTicket <= Number(seq)) return;
    this.log.warn({ couponId, admitted: Number(admitted), seq: Number(seq), rows: stored.rows, maxTicket: stored.maxTicket }, 'the gate is behind MySQL (partial data loss): rebuilding it');
    partialLosses.inc();
    this.gate.rebuildNow(couponId);
  }

  /** Settles the abandoned markers of one coupon; reports every marker it saw. */
  async reconcileCoupon(couponId: number): Promise<CallReport[]> {
    const markers = await this.gate.markers(couponId);
    const reports: CallReport[] = [];
    const abandoned: [string, HandoffMarker][] = [];
    // One front door leaves many markers: ask about each owner once.
    const alive = new Map<string, Promise<boolean>>();
    const isAlive = (owner: string): Promise<boolean> => {
      let answer = alive.get(owner);
      if (answer === undefined) {
        answer = this.presence.isAlive(owner);
        alive.set(owner, answer);
      }
      return answer;
    };
    for (const [callId, raw] of Object.entries(markers)) {
      const marker = parseMarker(raw);
      const owner = ownerOf(callId);
      const report: CallReport = { callId, owner, admittedAt: new Date(marker.admittedAt).toISOString(), users: marker.admitted.length, action: 'left (front door alive)', released: 0, kept: 0 };
      reports.push(report);
      const mine = owner === this.gate.instanceId;
      if (mine ? this.gate.isOpenCall(callId) : await isAlive(owner)) continue;
      abandoned.push([callId, marker]);
    }
    if (abandoned.length === 0) return reports;
    // QUEUE=redis queued each admission in the same step: nothing of it can be missing.
    if (this.queue === 'kafka' && !(await this.sources.queueCaughtUp())) {
      for (const report of reports) if (abandoned.some(([id]) => id === report.callId)) report.action = 'left (queue not caught up)';
      return reports;
    }
    const users = abandoned.flatMap(([, marker]) => marker.admitted.map(([userId]) => userId));
    const stored = this.queue === 'kafka' ? await this.sources.storedUsers(couponId, users) : new Set(users);
    for (const [callId, marker] of abandoned) {
      const keep = marker.admitted.map(([userId]) => userId).filter((userId) => stored.has(userId));
      const outcome = await this.gate.releaseCall(couponId, callId, marker.deadline, keep);
      const report = reports.find((entry) => entry.callId === callId) as CallReport;
      if (outcome === 'TOO_EARLY') {
        report.action = 'too early';
        continue;
      }
      report.action = 'settled';
      report.released = outcome.released;
      report.kept = outcome.kept;
      if (outcome.released > 0) {
        callsReleased.inc({ why: 'reconciled' }, outcome.released);
        this.log.warn({ couponId, callId, owner: report.owner, released: outcome.released, kept: outcome.kept }, 'reconciled: released admissions a gone front door never handed off');
      }
    }
    return reports;
  }
}
