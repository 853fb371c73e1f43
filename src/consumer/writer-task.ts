/**
 * The message a batch takes to a writer thread. Thousands of small values are packed into
 * one buffer plus an end-offset table, both transferred (not copied) to the worker:
 * structured-cloning thousands of Buffers, each a view into kafkajs's fetch buffer, costs
 * more than the write itself.
 */
import type { Config } from '../config/index.js';
import { decodeIssueRequest, UndecodableMessage } from '../queue/message.js';
import { writeBatch, type IndexedRequest, type WriteResult } from '../store/batch-writer.js';
import type { Pool } from '../store/mysql.js';

/** A message as taken off the queue (Kafka value or Redis list item; null: a tombstone). */
export type RawMessage = string | Buffer | null | undefined;

/** What a writer thread returns for a task: the write's outcome and the undecodable messages. */
export interface TaskResult extends WriteResult {
  /** Index (into the task) and why, of each message that is not an issue request. */
  undecodable: { index: number; reason: string }[];
}

export interface WriterTask {
  data: Uint8Array;
  /** ends[i] is where value i stops in `data`; value i starts at ends[i - 1] (or 0). */
  ends: Uint32Array;
  collectIssued: boolean;
}

/** What each worker thread receives once, at start (workerData). */
export interface WriterWorkerData {
  mysql: Config['mysql'];
  log: Config['log'];
  chunkRows: number;
  lockWaitTimeoutS: number;
}

export function packTask(values: readonly RawMessage[], collectIssued: boolean): WriterTask {
  const ends = new Uint32Array(values.length);
  let total = 0;
  values.forEach((value, i) => {
    if (value !== null && value !== undefined) total += typeof value === 'string' ? Buffer.byteLength(value) : value.byteLength;
    ends[i] = total;
  });
  // Its own ArrayBuffer (not Node's shared pool), so it can be transferred.
  const data = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  for (const value of values) {
    if (value === null || value === undefined) continue;
    offset += typeof value === 'string' ? data.write(value, offset) : value.copy(data, offset);
  }
  return { data, ends, collectIssued };
}

/** Empty values (Kafka tombstones) come back as empty buffers: undecodable, so dead-lettered. */
export function unpackTask(task: WriterTask): Buffer[] {
  const values: Buffer[] = new Array(task.ends.length);
  let start = 0;
  for (let i = 0; i < task.ends.length; i++) {
    const end = task.ends[i] as number;
    values[i] = Buffer.from(task.data.buffer, task.data.byteOffset + start, end - start);
    start = end;
  }
  return values;
}

export function transferListOf(task: WriterTask): ArrayBuffer[] {
  return [task.data.buffer as ArrayBuffer, task.ends.buffer as ArrayBuffer];
}

/** Splits a task's values into issue requests and undecodable messages (poison: dead-lettered). */
export function decodeTask(values: readonly Buffer[]): { requests: IndexedRequest[]; undecodable: TaskResult['undecodable'] } {
  const requests: IndexedRequest[] = [];
  const undecodable: TaskResult['undecodable'] = [];
  values.forEach((raw, index) => {
    try {
      // The decoded object is ours alone: tagged in place, not copied (one object per message).
      const request = decodeIssueRequest(raw) as IndexedRequest;
      request.index = index;
      requests.push(request);
    } catch (err) {
      if (!(err instanceof UndecodableMessage)) throw err;
      undecodable.push({ index, reason: err.message });
    }
  });
  return { requests, undecodable };
}

/** The work of one task in a writer thread (workers/batch-writer.ts): decode, then store. */
export async function runWriterTask(pool: Pool, task: WriterTask, chunkRows: number): Promise<TaskResult> {
  const { requests, undecodable } = decodeTask(unpackTask(task));
  const result = await writeBatch(pool, requests, { chunkRows, collectIssued: task.collectIssued });
  return { ...result, undecodable };
}
