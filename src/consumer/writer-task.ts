/**
 * The message a batch takes to a writer thread. Thousands of small values are packed into
 * one buffer plus an end-offset table, both transferred (not copied) to the worker:
 * structured-cloning thousands of Buffers, each a view into kafkajs's fetch buffer, costs
 * more than the write itself.
 */
import type { Config } from '../config/index.js';
import type { RawMessage } from '../store/batch-writer.js';

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
