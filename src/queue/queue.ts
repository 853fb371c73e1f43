/**
 * The hand-off contract between the gate and the persistence path. The front door knows
 * only this interface; each transport (queue/kafka, queue/redis-list) implements it.
 */
import type { IssueRequest } from './message.js';

export interface IssueQueue {
  /** Resolves once the request is durably queued; rejects when it is not. */
  enqueue(request: IssueRequest): Promise<void>;
  close(): Promise<void>;
}
