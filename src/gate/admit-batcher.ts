/**
 * Gathers the admission requests of one event-loop turn, per coupon, into one call of the
 * admit script. A busy loop reads many requests per turn; one Lua call for all of them
 * costs Redis and ioredis one command instead of one per request. Batches are not held
 * back by earlier ones: ioredis pipelines them on one connection, and Redis runs them in
 * the order they were sent, so the requests are still decided in arrival order.
 */
import type { GateResult } from './codes.js';

export interface AdmitRequest {
  userId: string;
}

/** Decides one coupon's batch; returns one result per request, in order. */
export type DecideBatch = (couponId: number, requests: AdmitRequest[]) => Promise<GateResult[]>;

interface Waiting extends AdmitRequest {
  resolve: (result: GateResult) => void;
  reject: (err: unknown) => void;
}

export class AdmitBatcher {
  private waiting = new Map<number, Waiting[]>();
  private immediate: NodeJS.Immediate | undefined;

  constructor(
    private readonly decide: DecideBatch,
    private readonly onBatch: (size: number) => void,
    /** Bounds one script's run time, so one batch never holds Redis for long. */
    private readonly maxItems = 200,
  ) {}

  admit(couponId: number, userId: string): Promise<GateResult> {
    return new Promise<GateResult>((resolve, reject) => {
      let batch = this.waiting.get(couponId);
      if (batch === undefined) {
        batch = [];
        this.waiting.set(couponId, batch);
      }
      batch.push({ userId, resolve, reject });
      if (batch.length >= this.maxItems) {
        this.waiting.delete(couponId);
        this.send(couponId, batch);
      } else {
        // setImmediate runs after the poll phase that read this turn's requests.
        this.immediate ??= setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.immediate = undefined;
    const batches = this.waiting;
    this.waiting = new Map();
    for (const [couponId, batch] of batches) this.send(couponId, batch);
  }

  private send(couponId: number, batch: Waiting[]): void {
    this.onBatch(batch.length);
    this.decide(couponId, batch).then(
      (results) => {
        for (let i = 0; i < batch.length; i++) {
          const result = results[i];
          if (result === undefined) batch[i]?.reject(new Error(`admit returned ${results.length} results for ${batch.length} requests`));
          else batch[i]?.resolve(result);
        }
      },
      (err: unknown) => {
        for (const entry of batch) entry.reject(err);
      },
    );
  }
}
