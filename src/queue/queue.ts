/**
 * The hand-off contract between the gate and the persistence path. The front door knows
 * only this interface; each transport (queue/kafka, queue/redis-list) implements it.
 */
import type { IssueRequest } from './message.js';

export interface IssueQueue {
  /**
   * Resolves once the request is durably queued. It does not give up while the queue is
   * away (a send that failed may have been written, so the admission cannot be undone).
   */
  enqueue(request: IssueRequest): Promise<void>;
  /**
   * False while the queue is failing or stalled, or too many requests wait: new requests are
   * then refused before the gate, so nothing is admitted that cannot be handed off soon.
   */
  accepting(): boolean;
  /** Sends what is waiting; gives up on what is still unsent after `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}
