/**
 * Admit calls whose answer never came. Such a call may have run: Redis may have been stalled
 * with the call in its socket, or the reply lost with the connection. Nobody is told anything
 * until it is known: once the call's deadline has passed on Redis's clock it can no longer
 * admit anyone, and its hand-off marker (or its absence) says whom it admitted.
 *
 * When even that question gets no answer (Redis is still away), the callers are told 503 and
 * the call goes on a list here that keeps trying to release whatever it admitted, so the 503
 * ends up leaving no trace, and the stock goes back on sale.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.js';
import type { RedisClock } from './clock.js';
import { couponKeys } from './keys.js';
import { callsReleased } from './metrics.js';
import type { GateScripts, HandoffMarker, ReleaseOutcome } from './scripts.js';

/** Asking what a call did: a few tries in the request itself, then in the background. */
const RESOLVE_TRIES = 5;
const RESOLVE_RETRY_MS = 100;
const RELEASE_EVERY_MS = 500;
/** Added to a deadline before asking: the estimate of Redis's clock is off by up to half a round trip. */
const CLOCK_MARGIN_MS = 20;

/** Why a call is released: its answer was lost, or its replicas did not confirm it. */
export type ReleaseReason = 'answer_lost' | 'not_replicated';

interface Unresolved {
  couponId: number;
  deadline: number;
  why: ReleaseReason;
}

export class UnresolvedCalls {
  private readonly waiting = new Map<string, Unresolved>();
  private timer: NodeJS.Timeout | undefined;
  private releasing = false;

  constructor(
    private readonly scripts: GateScripts,
    private readonly clock: RedisClock,
    /** QUEUE=redis: the pending list (released admissions' items are taken off it too). */
    private readonly queueKey: string | undefined,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.waiting.size;
  }

  has(callId: string): boolean {
    return this.waiting.has(callId);
  }

  /**
   * What the call admitted, for sure. ADMITTED_NOBODY also when it cannot be learnt now: the
   * call is then released in the background, which makes that answer true.
   */
  async resolve(couponId: number, callId: string, deadline: number): Promise<'ADMITTED_NOBODY' | HandoffMarker> {
    for (let attempt = 1; attempt <= RESOLVE_TRIES; attempt++) {
      const wait = deadline + CLOCK_MARGIN_MS - this.clock.now();
      await sleep(Math.max(wait, attempt === 1 ? 0 : RESOLVE_RETRY_MS));
      try {
        const outcome = await this.scripts.callOutcome.run([couponKeys(couponId).handoff], [callId, deadline]);
        if (outcome !== 'TOO_EARLY') return outcome;
      } catch {
        // Redis still away: try again, then leave it to the background.
      }
    }
    this.log.warn({ couponId, callId }, 'admit call got no answer and Redis cannot say what it did: its users get 503, its admissions will be released');
    this.releaseLater(couponId, callId, deadline, 'answer_lost');
    return 'ADMITTED_NOBODY';
  }

  /** Releases the call's admissions in the background, once its deadline has passed. */
  releaseLater(couponId: number, callId: string, deadline: number, why: ReleaseReason): void {
    this.waiting.set(callId, { couponId, deadline, why });
    this.timer ??= setInterval(() => void this.releaseWaiting(), RELEASE_EVERY_MS);
  }

  release(couponId: number, callId: string, deadline: number, keep: readonly string[]): Promise<ReleaseOutcome> {
    const keys = couponKeys(couponId);
    const mode = this.queueKey === undefined ? 'none' : 'list';
    return this.scripts.releaseCall.run([keys.meta, keys.users, keys.handoff, this.queueKey ?? keys.handoff], [callId, mode, couponId, deadline, ...keep]);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async releaseWaiting(): Promise<void> {
    if (this.releasing) return;
    this.releasing = true;
    try {
      for (const [callId, { couponId, deadline, why }] of this.waiting) {
        try {
          const outcome = await this.release(couponId, callId, deadline, []);
          if (outcome === 'TOO_EARLY') continue;
          this.waiting.delete(callId);
          if (outcome.released > 0) callsReleased.inc({ why }, outcome.released);
          this.log.warn({ couponId, callId, why, released: outcome.released, kept: outcome.kept }, 'released the admissions of an admit call its users were told 503 for');
        } catch {
          return; // Redis still away: the next round tries again.
        }
      }
      if (this.waiting.size === 0) this.stop();
    } finally {
      this.releasing = false;
    }
  }
}
