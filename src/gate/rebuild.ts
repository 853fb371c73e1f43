/**
 * Rebuilding a coupon's gate from MySQL after Redis lost its data (all of it, or part: a
 * restart from an older snapshot, a failover to a replica that lagged). The gate must then
 * count every admission made before the loss, or it admits past the stock and the batch
 * writer refuses someone answered 202. So, for one coupon at a time:
 *
 * 1. One front door takes the rebuild mark (lua/begin-rebuild-2.lua, a lease): admit-4
 *    admits nobody for the coupon meanwhile, and its requests get 503 (retry).
 * 2. Every live front door reports itself drained for the coupon once its own admissions of
 *    it are handed off to the queue (they are resent until acknowledged).
 * 3. The rebuilder waits for the writers group to commit past the queue's end offsets read
 *    then: every admission made before the loss is now a row in MySQL.
 * 4. It stages the holders from MySQL page by page (stage-users-2) and swaps them in with
 *    the limits and the highest stored ticket, lifting the mark (finish-rebuild-5).
 *
 * Off the request path: a request that finds the coupon missing or rebuilding only starts
 * (or joins) this work and is answered 503.
 */
import type { RedisClient } from '../redis/client.js';
import type { Logger } from '../logger.js';
import type { Coupon } from '../store/coupons.js';
import type { RedisClock } from './clock.js';
import { couponKeys } from './keys.js';
import { BEAT_MS, type FrontDoorPresence } from './instances.js';
import { LOST_MARK, type GateScripts } from './scripts.js';

export interface RebuildSource {
  /** The coupon from MySQL, or undefined when it does not exist. */
  findCoupon(couponId: number): Promise<Coupon | undefined>;
  /** One page of stored holders, [userId, ticket], by user id after `afterUserId`. */
  holderPage(couponId: number, afterUserId: string, limit: number): Promise<[string, number][]>;
  storedCounts(couponId: number): Promise<{ rows: number; maxTicket: number }>;
  /** QUEUE=kafka: true once the writers group has committed past the end offsets read at the call. */
  queueCaughtUp(): Promise<boolean>;
}

export interface RebuildOptions {
  instanceId: string;
  clock: RedisClock;
  presence: Pick<FrontDoorPresence, 'live'>;
  /** This deployment's set of coupons being rebuilt: every front door watches it. */
  rebuildingKey: string;
  /** This front door's admissions of the coupon not yet handed off. */
  openCallsFor(couponId: number): number;
  /** Told when this front door's part in a rebuild of the coupon ended (done here or elsewhere). */
  onSettled?(couponId: number): void;
  log: Logger;
}

const LEASE_MS = 15_000;
const POLL_MS = 200;
const PAGE = 1000;
/** How often this front door looks for coupons others are rebuilding, to report itself drained. */
const WATCH_MS = 500;

function epochMs(date: Date | null): number {
  return date === null ? 0 : date.getTime();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Rebuilds {
  private readonly running = new Map<number, Promise<void>>();
  private watcher: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: GateScripts,
    private readonly source: RebuildSource,
    private readonly options: RebuildOptions,
  ) {}

  /** Watches for rebuilds started by other front doors (this one may hold admissions of that coupon). */
  start(): void {
    this.watcher = setInterval(() => void this.watch().catch(() => undefined), WATCH_MS);
    this.watcher.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.watcher !== undefined) clearInterval(this.watcher);
  }

  isRunning(couponId: number): boolean {
    return this.running.has(couponId);
  }

  /**
   * Starts (or joins) the rebuild of the coupon's gate; returns at once. `force`: rebuild
   * even though the gate looks whole (a partial loss was detected).
   */
  ensure(couponId: number, force = false): void {
    if (this.running.has(couponId) || this.stopped) return;
    const work = this.run(couponId, force)
      .catch((err: unknown) => this.options.log.warn({ couponId, err: (err as Error).message }, 'gate rebuild interrupted; the next request retries it'))
      .finally(() => {
        this.running.delete(couponId);
        this.options.onSettled?.(couponId);
      });
    this.running.set(couponId, work);
  }

  private async watch(): Promise<void> {
    const coupons = await this.redis.smembers(this.options.rebuildingKey);
    for (const id of coupons) this.ensure(Number(id));
  }

  private async run(couponId: number, force: boolean): Promise<void> {
    const keys = couponKeys(couponId);
    const token = this.options.instanceId;
    const { log } = this.options;
    const startedAt = Date.now();
    for (let round = 0; ; round++) {
      if (this.stopped) return;
      // Nothing to do once another front door finished (or the gate is whole and nobody asked).
      if (!(force && round === 0) && !(await this.needsRebuild(couponId))) return;
      await this.drain(couponId);
      if (!(await this.scripts.beginRebuild.run([keys.meta, keys.staging], [token, LEASE_MS]))) {
        // Another front door rebuilds: wait for it (or for its lease to run out, then take over).
        await sleep(POLL_MS);
        continue;
      }
      await this.redis.sadd(this.options.rebuildingKey, String(couponId));
      log.warn({ couponId }, 'rebuilding the gate from MySQL: the coupon answers 503 until done');
      if (await this.rebuildAsHolder(couponId, token)) {
        await this.redis.srem(this.options.rebuildingKey, String(couponId));
        log.warn({ couponId, tookMs: Date.now() - startedAt }, 'gate rebuilt from MySQL');
        return;
      }
    }
  }

  /** Whether the coupon's gate was left without its limits while marked (a rebuild to finish). */
  private async needsRebuild(couponId: number): Promise<boolean> {
    const [total, rebuilding] = await this.redis.hmget(couponKeys(couponId).meta, 'total', 'rebuilding');
    return total === null || rebuilding !== null;
  }

  /** Waits until this front door has nothing of the coupon in flight, then says so. */
  private async drain(couponId: number): Promise<void> {
    while (this.options.openCallsFor(couponId) > 0 && !this.stopped) await sleep(POLL_MS / 4);
    await this.redis.sadd(couponKeys(couponId).drained, this.options.instanceId);
  }

  /** Steps 2-4 while holding the mark; false when the mark was lost on the way (start again). */
  private async rebuildAsHolder(couponId: number, token: string): Promise<boolean> {
    const keys = couponKeys(couponId);
    const renew = async (): Promise<boolean> => this.scripts.beginRebuild.run([keys.meta, keys.staging], [token, LEASE_MS]);
    // Front doors beat every BEAT_MS: after a data loss they are all back in the live set by then.
    await sleep(BEAT_MS + POLL_MS);
    for (;;) {
      const [live, drained] = await Promise.all([this.options.presence.live(), this.redis.smembers(keys.drained)]);
      const done = new Set(drained);
      if (live.every((id) => done.has(id))) break;
      if (!(await renew())) return false;
      await sleep(POLL_MS);
    }
    while (!(await this.source.queueCaughtUp())) {
      if (!(await renew())) return false;
    }
    if (!(await renew())) return false;
    const coupon = await this.source.findCoupon(couponId);
    if (coupon === undefined) return false;
    let after = '';
    for (;;) {
      const page = await this.source.holderPage(couponId, after, PAGE);
      if (page.length === 0) break;
      if ((await this.scripts.stageUsers.run([keys.meta, keys.staging], [token, ...page.flat()])) === LOST_MARK) return false;
      after = (page[page.length - 1] as [string, number])[0];
    }
    const stored = await this.source.storedCounts(couponId);
    return this.scripts.finishRebuild.run(
      [keys.meta, keys.users, keys.staging, keys.handoff, keys.drained],
      [token, coupon.totalQuantity, stored.rows, stored.maxTicket, epochMs(coupon.startsAt), epochMs(coupon.expiresAt)],
    );
  }
}
