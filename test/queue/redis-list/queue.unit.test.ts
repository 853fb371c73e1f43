/** The Redis list queue's recover script reply, decoded without Redis. */
import t from 'tap';
import { decodeRecoverReply } from '../../../src/queue/redis-list/queue.js';
import { UnexpectedScriptReply } from '../../../src/redis/scripts.js';

t.test('queue-recover: items moved back; a live consumer (-1) moved none', async (t) => {
  t.equal(decodeRecoverReply(12), 12);
  t.equal(decodeRecoverReply(0), 0);
  t.equal(decodeRecoverReply(-1), 0);
  t.throws(() => decodeRecoverReply('12'), { name: 'UnexpectedScriptReply', message: 'queue-recover-3 returned "12", expected an integer' });
  t.throws(() => decodeRecoverReply(null), UnexpectedScriptReply);
});
