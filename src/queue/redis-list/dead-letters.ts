/**
 * Reading the Redis DLQ list (`<pending>:dlq`, JSON entries) for `flash-coupon dlq replay`
 * in QUEUE=redis: the entries present at start, from the head, a chunk at a time; an entry
 * leaves the list only once settled (LREM of that exact entry), so skipped and failing
 * entries stay where they were, and letters added meanwhile (at the tail) wait for the
 * next replay. A crash after storing and before LREM replays the entry again: a duplicate.
 */
import type { RedisClient } from '../../redis/client.js';
import type { DeadLetterSource } from '../../consumer/replay.js';
import type { IssuedSink } from '../../consumer/sinks.js';
import type { RawMessage } from '../../consumer/writer-task.js';
import { redisQueueKeys } from './keys.js';
import type { RedisDeadLetter } from './queue.js';

const CHUNK = 1000;

/** The original message of an entry; an entry that is not ours reads as undecodable. */
function valueOf(entry: string): RawMessage {
  try {
    const letter = JSON.parse(entry) as Partial<RedisDeadLetter> | null;
    return typeof letter?.value === 'string' ? letter.value : null;
  } catch {
    return null;
  }
}

export function redisDeadLetters(redis: RedisClient, topic: string, issued: IssuedSink | undefined, close: () => Promise<void>): DeadLetterSource {
  const key = redisQueueKeys(topic).deadLetters;
  return {
    issued,
    close,
    async run(handle) {
      const total = await redis.llen(key);
      /** Entries left at the head by this run (skipped or failing). */
      let kept = 0;
      for (let seen = 0; seen < total; ) {
        const entries = await redis.lrange(key, kept, kept + Math.min(CHUNK, total - seen) - 1);
        if (entries.length === 0) return;
        seen += entries.length;
        const dispositions = await handle(entries.map(valueOf));
        const removing = redis.multi();
        entries.forEach((entry, index) => {
          if (dispositions[index] === 'done') removing.lrem(key, 1, entry);
          else kept++;
        });
        await removing.exec();
      }
    },
  };
}
