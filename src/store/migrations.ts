/**
 * The schema, created at start-up. Every statement is idempotent, so any number of
 * processes may run it at once, on every start.
 */
import type { Pool } from './mysql.js';

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS coupon (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    discount_type ENUM('PERCENT','FIXED') NOT NULL,
    discount_value DECIMAL(12,2) NOT NULL,
    min_order_amount DECIMAL(12,2) NULL,
    total_quantity INT UNSIGNED NOT NULL,
    issued_quantity INT UNSIGNED NOT NULL DEFAULT 0,
    starts_at DATETIME(3) NULL,
    expires_at DATETIME(3) NULL,
    created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    CONSTRAINT chk_coupon_issued CHECK (issued_quantity <= total_quantity)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  `CREATE TABLE IF NOT EXISTS user_coupon (
    id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    coupon_id BIGINT UNSIGNED NOT NULL,
    user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    ticket INT UNSIGNED NOT NULL,
    issued_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    UNIQUE KEY uq_user_coupon (coupon_id, user_id),
    KEY idx_user_coupon_user (user_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  // Admitted requests the database refused (only possible after a gate failure).
  `CREATE TABLE IF NOT EXISTS issue_rejection (
    coupon_id BIGINT UNSIGNED NOT NULL,
    user_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    ticket INT UNSIGNED NOT NULL,
    reason VARCHAR(32) NOT NULL,
    rejected_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (coupon_id, user_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
];

export async function migrate(pool: Pool): Promise<void> {
  for (const statement of STATEMENTS) await pool.query(statement);
}
