/** QUEUE=kafka: the writers group's lag on the request topic, read through the admin API. */
import type { Config } from '../../config/index.js';
import { lagFromOffsets, lagProbe, type LagProbe, type LagReader } from '../../lag/probe.js';
import type { Logger } from '../../logger.js';
import { createKafka, type Admin } from './client.js';

/** The writers group's committed offset per partition of the request topic. */
async function committedOffsets(admin: Admin, kafka: Config['kafka']): Promise<Map<number, number>> {
  const committed = await admin.fetchOffsets({ groupId: kafka.groupId, topics: [kafka.topic] });
  return new Map((committed[0]?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
}

export function kafkaLagProbe(kafka: Config['kafka'], log: Logger): LagProbe {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  let closed = false;
  const connected = (): Promise<Admin> => {
    if (closed) return Promise.reject(new Error('lag probe closed'));
    if (admin !== undefined) return Promise.resolve(admin);
    connecting ??= (async () => {
      const created = createKafka(kafka, log, '-lag').admin({ retry: { retries: 0 } });
      try {
        await created.connect();
      } catch (err) {
        connecting = undefined;
        throw err;
      }
      if (closed) {
        await created.disconnect();
        throw new Error('lag probe closed');
      }
      admin = created;
      return created;
    })();
    return connecting;
  };
  const read: LagReader = async () => {
    const client = await connected();
    const [ends, committed] = await Promise.all([client.fetchTopicOffsets(kafka.topic), committedOffsets(client, kafka)]);
    return lagFromOffsets(ends, committed);
  };
  return lagProbe({ queue: 'kafka', topic: kafka.topic, group: kafka.groupId }, read, async () => {
    closed = true;
    const open = admin;
    admin = undefined;
    if (open !== undefined) await open.disconnect();
  }, log);
}

/**
 * Resolves true once the writers group has committed, on every partition of the request
 * topic, at least the end offsets read at the call: every message written before then has
 * been stored (or dead-lettered). False when that takes longer than `timeoutMs`.
 */
export async function groupCaughtUp(kafka: Config['kafka'], log: Logger, timeoutMs: number): Promise<boolean> {
  const admin = createKafka(kafka, log, '-reconcile').admin({ retry: { retries: 0 } });
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(kafka.topic);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // No lag left against the ends read first: the group has committed past them.
      if (lagFromOffsets(ends, await committedOffsets(admin, kafka)).messages === 0) return true;
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    await admin.disconnect();
  }
}
