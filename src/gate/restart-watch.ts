/**
 * Notices that the gate's Redis restarted (its run id changed): whatever it holds now may be
 * an older snapshot, so every coupon this front door has admitted to is rebuilt from MySQL
 * (rebuild.ts). Coupons whose keys are simply gone are rebuilt on their next request anyway.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

const EVERY_MS = 2_000;

export function runIdOf(info: string): string | undefined {
  return /^run_id:(\w+)/m.exec(info)?.[1];
}

export class RestartWatch {
  private timer: NodeJS.Timeout | undefined;
  private runId: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly onRestart: () => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.runId = runIdOf(await this.redis.info('server'));
    this.timer = setInterval(() => void this.check().catch(() => undefined), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const runId = runIdOf(await this.redis.info('server'));
    if (runId === undefined || runId === this.runId) return;
    const before = this.runId;
    this.runId = runId;
    this.log.warn({ before, now: runId }, 'Redis restarted: rebuilding the gates this front door serves from MySQL');
    this.onRestart();
  }
}
