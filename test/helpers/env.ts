/**
 * Test configuration: the local stack's defaults, with per-test names so tests never share
 * a topic, group or coupon. Tests may read process.env here only to pass it on.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config/index.js';

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** A config on the local stack with its own Kafka topic and group unless told otherwise. */
export function testConfig(env: Record<string, string> = {}): Config {
  const topic = uniqueName('t-requests');
  return loadConfig({
    env: {
      LOG_LEVEL: 'error',
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `${topic}-group`,
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      PORT: '0',
      ...env,
    },
  });
}
