/** Start-up against a dependency that is not there fails at once with a clear, coded error. */
import t from 'tap';
import { startConsumers } from '../../src/queue/consumers.js';
import { testConfig } from '../helpers/env.js';
import { testLogger } from './helpers.js';

// Port 9 (discard) on localhost refuses connections: a real unreachable server.
t.test('MySQL unreachable: UNAVAILABLE naming MySQL', async (t) => {
  const config = testConfig({ MYSQL_URL: 'mysql://root@127.0.0.1:9/flash_coupon' });
  await t.rejects(startConsumers(config, testLogger(config)), { code: 'UNAVAILABLE', message: /MySQL/ });
});

t.test('QUEUE=redis with Redis unreachable: UNAVAILABLE naming Redis', async (t) => {
  const config = testConfig({ QUEUE: 'redis', REDIS_URL: 'redis://127.0.0.1:9' });
  await t.rejects(startConsumers(config, testLogger(config)), { code: 'UNAVAILABLE', message: /Redis/ });
});
