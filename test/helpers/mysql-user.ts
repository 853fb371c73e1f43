/**
 * A MariaDB account of a test's own, so a test can take privileges away (REVOKE) or be
 * held by `read_only` without touching root, whose sessions other tests share.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from '../../src/store/mysql.js';

export interface TestUser {
  name: string;
  /** MYSQL_URL for the service under test. */
  url: string;
  grant(privileges: string, on: string): Promise<void>;
  revoke(privileges: string, on: string): Promise<void>;
  drop(): Promise<void>;
}

/** `root` is a root pool on `database`; the user starts with no privileges. */
export async function createTestUser(root: Pool, database: string, prefix: string): Promise<TestUser> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  await root.query(`CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'`);
  const target = (on: string): string => (on === '*' ? `\`${database}\`.*` : `\`${database}\`.\`${on}\``);
  return {
    name,
    url: `mysql://${name}:${password}@127.0.0.1:3306/${database}`,
    grant: async (privileges, on) => {
      await root.query(`GRANT ${privileges} ON ${target(on)} TO '${name}'@'%'`);
    },
    revoke: async (privileges, on) => {
      await root.query(`REVOKE ${privileges} ON ${target(on)} FROM '${name}'@'%'`);
    },
    drop: async () => {
      await root.query(`DROP USER IF EXISTS '${name}'@'%'`);
    },
  };
}
