/**
 * Migrations run at every start, from any number of processes at once: they create the
 * schema on an empty database, re-key a first-release user_coupon table, and change nothing
 * when run again.
 */
import t from 'tap';
import type { RowDataPacket } from 'mysql2/promise';
import { loadConfig } from '../../src/config/index.js';
import { migrate } from '../../src/store/migrations.js';
import { createPool, ensureDatabase } from '../../src/store/mysql.js';
import { uniqueName } from '../helpers/env.js';

const database = uniqueName('fc_mig').replaceAll('-', '_');
const config = loadConfig({ env: { MYSQL_URL: `mysql://root@127.0.0.1:3306/${database}` } });

async function primaryKey(pool: ReturnType<typeof createPool>): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'user_coupon' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
  );
  return rows.map((row) => String(row.COLUMN_NAME));
}

t.test('a first-release table is re-keyed, rows kept; concurrent re-runs change nothing', async (t) => {
  await ensureDatabase(config.mysql);
  const pool = createPool(config.mysql, 4);
  t.teardown(async () => {
    await pool.query(`DROP DATABASE ${database}`);
    await pool.end();
  });
  await pool.query(`CREATE TABLE user_coupon (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, coupon_id BIGINT UNSIGNED NOT NULL,
    user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, ticket INT UNSIGNED NOT NULL,
    issued_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_user_coupon (coupon_id, user_id), KEY idx_user_coupon_user (user_id)) ENGINE=InnoDB`);
  await pool.query("INSERT INTO user_coupon (coupon_id, user_id, ticket) VALUES (1, 'a', 1), (1, 'b', 2)");

  await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
  t.same(await primaryKey(pool), ['coupon_id', 'user_id'], 'keyed by the pair');
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id FROM user_coupon ORDER BY user_id');
  t.same(rows.map((row) => row.user_id), ['a', 'b'], 'rows kept');
  const [duplicate] = await pool.query<RowDataPacket[]>("INSERT IGNORE INTO user_coupon (coupon_id, user_id, ticket) VALUES (1, 'a', 9)");
  t.equal((duplicate as unknown as { affectedRows: number }).affectedRows, 0, 'the pair is still unique');
  await migrate(pool);
  const [tables] = await pool.query<RowDataPacket[]>('SHOW TABLES');
  t.same(tables.map((row) => Object.values(row)[0]).sort(), ['coupon', 'issue_dead_letter', 'issue_rejection', 'user_coupon']);
});
