/**
 * Notices that a primary of the gate's Redis restarted or was replaced (a run id it has not
 * seen before: a restart, possibly from an older snapshot, or a replica promoted in a
 * failover): whatever it holds now may be older than what was answered, so every coupon this
 * front door has admitted to is rebuilt from MySQL (rebuild.ts). Coupons whose keys are
 * simply gone are rebuilt on their next request anyway.
 */
import type { Logger } from '../logger.js';
import { primaries, type RedisClient } from '../redis/client.js';

const EVERY_MS = 2_000;

export function runIdOf(info: string): string | undefined {
  return /^run_id:(\w+)/m.exec(info)?.[1];
}

export class RestartWatch {
  private timer: NodeJS.Timeout | undefined;
  private known = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly onRestart: () => void,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.known = await this.runIds();
    this.timer = setInterval(() => void this.check().catch(() => undefined), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
  }

  private async runIds(): Promise<Set<string>> {
    const infos = await Promise.all(primaries(this.redis).map((node) => node.info('server')));
    return new Set(infos.map(runIdOf).filter((id): id is string => id !== undefined));
  }

  private async check(): Promise<void> {
    const now = await this.runIds();
    const fresh = [...now].filter((id) => !this.known.has(id));
    this.known = now;
    if (fresh.length === 0) return;
    this.log.warn({ runIds: fresh }, 'a Redis primary restarted or was replaced: rebuilding the gates this front door serves from MySQL');
    this.onRestart();
  }
}
