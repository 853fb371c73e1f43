/**
 * QUEUE=kafka: the hand-off of admitted requests. A request is acknowledged (acks=all)
 * before its 202 is sent; the requests of one event-loop turn go out in one send.
 */
import kafkajs, { type Producer } from 'kafkajs';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logger.js';
import { encodeIssueRequest, type IssueRequest } from '../message.js';
import { countShed, producerBatchSize, reportCircuit } from '../metrics.js';
import type { IssueQueue } from '../queue.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaClient } from './client.js';
import { MicroBatcher } from './micro-batcher.js';

/** Resends of a batch whose send failed: from RESEND_BASE_MS, doubled up to RESEND_MAX_MS. */
const RESEND_BASE_MS = 100;
const RESEND_MAX_MS = 2000;

export interface HandoffLimits {
  /** Admitted requests waiting for their hand-off past which new requests are refused before the gate. */
  maxWaiting: number;
  /** A send in flight for longer than this counts as a stall: new requests are refused before the gate. */
  stallMs: number;
}

export class KafkaIssueQueue implements IssueQueue {
  private readonly batcher: MicroBatcher<IssueRequest>;
  /** Set while the current batch has failed at least once and not yet gone through. */
  private failingSince: number | undefined;
  private sendingSince: number | undefined;
  private closing = false;
  private readonly stopReporting: () => void;

  private constructor(
    private readonly producer: Producer,
    kafka: Config['kafka'],
    private readonly limits: HandoffLimits,
    private readonly log: Logger,
  ) {
    const keyOf = kafka.partitionKey === 'userId' ? (r: IssueRequest) => r.userId : (r: IssueRequest) => String(r.couponId);
    this.batcher = new MicroBatcher<IssueRequest>(
      async (requests) => {
        producerBatchSize.observe(requests.length);
        const messages = requests.map((request) => ({ key: keyOf(request), value: encodeIssueRequest(request) }));
        await this.sendUntilAcknowledged(() => this.producer.send({ topic: kafka.topic, acks: -1, messages }), requests.length);
      },
      kafka.lingerMs,
      kafka.batchMax,
    );
    this.stopReporting = reportCircuit(() => this.failingSince !== undefined || this.stalled());
  }

  static async connect(client: KafkaClient, kafka: Config['kafka'], limits: HandoffLimits, log: Logger): Promise<KafkaIssueQueue> {
    const producer = client.producer({
      // Not idempotent: after a send that failed but that the broker wrote anyway, kafkajs
      // gives the next batch the failed one's sequence numbers, and the broker drops it as
      // a duplicate while acknowledging it: a 202 never stored (test/queue/kafka/producer.test.ts).
      // A batch written twice by a resend is harmless: the batch writer stores a user once.
      idempotent: false,
      maxInFlightRequests: 1,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Few, short retries inside kafkajs; ours (sendUntilAcknowledged) go on after them.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    producer.on(producer.events.DISCONNECT, () => log.warn('kafka producer disconnected'));
    await producer.connect();
    return new KafkaIssueQueue(producer, kafka, limits, log);
  }

  enqueue(request: IssueRequest): Promise<void> {
    return this.batcher.add(request);
  }

  /**
   * The circuit: open while a send has failed (its resends are the half-open probe: the first
   * acknowledged one closes it) or is stalled. Each refusal is counted by its reason.
   */
  accepting(): boolean {
    const refused = this.closing ? 'closing' : this.failingSince !== undefined ? 'failing' : this.stalled() ? 'stalled' : this.batcher.pending >= this.limits.maxWaiting ? 'backlog' : undefined;
    if (refused === undefined) return true;
    countShed(refused);
    return false;
  }

  private stalled(): boolean {
    return this.sendingSince !== undefined && Date.now() - this.sendingSince > this.limits.stallMs;
  }

  /**
   * A failed send may have been written by the broker all the same, so its admissions can
   * neither be undone nor answered 503: the batch is sent again until acknowledged (a copy
   * written twice stores one row). Only a closing process stops trying; its requests then get
   * no answer and the reconciler settles their admissions.
   */
  private async sendUntilAcknowledged(send: () => Promise<unknown>, size: number): Promise<void> {
    this.sendingSince = Date.now();
    try {
      for (let round = 1; ; round++) {
        try {
          await send();
          if (this.failingSince !== undefined) this.log.info({ messages: size, afterMs: Date.now() - this.failingSince }, 'kafka hand-off recovered');
          this.failingSince = undefined;
          return;
        } catch (err) {
          if (this.failingSince === undefined) {
            this.failingSince = Date.now();
            this.log.warn({ err: (err as Error).message, messages: size }, 'kafka hand-off failed: resending until acknowledged; new requests get 503 meanwhile');
          }
          if (this.closing) throw err;
          await sleep(Math.min(RESEND_BASE_MS * 2 ** (round - 1), RESEND_MAX_MS));
        }
      }
    } finally {
      this.sendingSince = undefined;
    }
  }

  async close(deadlineMs = 25_000): Promise<void> {
    const drained = this.batcher.drain();
    const timedOut = await Promise.race([drained.then(() => false), sleep(deadlineMs, true, { ref: false })]);
    this.closing = true;
    this.stopReporting();
    if (timedOut) this.log.error({ waiting: this.batcher.pending }, 'closing with admitted requests not handed off: the reconciler will settle them');
    await this.producer.disconnect();
  }
}
