/**
 * Shared by the persistence-path tests: a coupon of their own in the real MariaDB,
 * admitted messages produced to the real Kafka (or pushed to the real Redis list), and
 * waits that poll what a user would see (rows, offsets) with a deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import kafkajs from 'kafkajs';
import type { RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import type { Config } from '../../src/config/index.js';
import { createKafka, ensureTopics } from '../../src/queue/kafka/client.js';
import { encodeIssueRequest, type IssueRequest } from '../../src/queue/message.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createPool, ensureDatabase, type Pool } from '../../src/store/mysql.js';
import { migrate } from '../../src/store/migrations.js';

export function testLogger(config: Config): Logger {
  return createLogger(config.log, { test: true });
}

export async function openStore(config: Config): Promise<Pool> {
  await ensureDatabase(config.mysql);
  const pool = createPool(config.mysql, 4);
  await migrate(pool);
  return pool;
}

export async function createCoupon(pool: Pool, totalQuantity: number): Promise<number> {
  const [result] = await pool.query<ResultSetHeader>(
    "INSERT INTO coupon (name, discount_type, discount_value, total_quantity) VALUES ('persistence test', 'PERCENT', 10, ?)",
    [totalQuantity],
  );
  return result.insertId;
}

export async function dropCoupons(pool: Pool, couponIds: number[]): Promise<void> {
  if (couponIds.length === 0) return;
  for (const table of ['user_coupon', 'issue_rejection', 'issue_dead_letter']) await pool.query(`DELETE FROM ${table} WHERE coupon_id IN (?)`, [couponIds]);
  await pool.query('DELETE FROM coupon WHERE id IN (?)', [couponIds]);
}

/** `count` admitted requests for distinct users, tickets firstTicket.. in admission order. */
export function admitted(couponId: number, count: number, options: { firstTicket?: number; userPrefix?: string } = {}): IssueRequest[] {
  const first = options.firstTicket ?? 1;
  const prefix = options.userPrefix ?? `u${couponId}-`;
  return Array.from({ length: count }, (_, i) => ({ couponId, userId: `${prefix}${first + i}`, ticket: first + i, admittedAt: Date.now() }));
}

export interface CouponState {
  rows: number;
  distinctUsers: number;
  issuedQuantity: number;
  rejections: Record<string, number>;
}

export async function couponState(pool: Pool, couponId: number): Promise<CouponState> {
  const [[counts]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM user_coupon WHERE coupon_id = ?', [couponId]);
  const [[coupon]] = await pool.query<RowDataPacket[]>('SELECT issued_quantity FROM coupon WHERE id = ?', [couponId]);
  const [rejected] = await pool.query<RowDataPacket[]>('SELECT reason, COUNT(*) AS n FROM issue_rejection WHERE coupon_id = ? GROUP BY reason', [couponId]);
  return {
    rows: Number(counts?.n),
    distinctUsers: Number(counts?.users),
    issuedQuantity: Number(coupon?.issued_quantity ?? -1),
    rejections: Object.fromEntries(rejected.map((row) => [String(row.reason), Number(row.n)])),
  };
}

export async function storedUsers(pool: Pool, couponId: number): Promise<string[]> {
  const [rows] = await pool.query<RowDataPacket[]>('SELECT user_id FROM user_coupon WHERE coupon_id = ? ORDER BY user_id', [couponId]);
  return rows.map((row) => String(row.user_id));
}

export async function storedAndRefused(pool: Pool, couponId: number): Promise<number> {
  const [[row]] = await pool.query<RowDataPacket[]>(
    'SELECT COUNT(*) AS n FROM user_coupon uc JOIN issue_rejection r ON r.coupon_id = uc.coupon_id AND r.user_id = uc.user_id WHERE uc.coupon_id = ?',
    [couponId],
  );
  return Number(row?.n);
}

/** Polls until `done` holds for the value read; returns the last value (caller asserts). */
export async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

export interface TopicMessage {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

export interface TestKafka {
  /** Messages in order; key couponId unless `keyBy` is userId; `partition` pins them. */
  produce(values: (IssueRequest | string)[], options?: { keyBy?: 'couponId' | 'userId'; partition?: number }): Promise<void>;
  /** Whether the group has committed every partition of `topic` up to its end. */
  caughtUp(groupId: string, topic?: string): Promise<boolean>;
  /** Messages of a topic from the start, read until `enough` holds or the deadline passes. */
  readTopic(topic: string, enough: (seen: TopicMessage[]) => boolean, timeoutMs?: number): Promise<TopicMessage[]>;
  deleteTopics(): Promise<void>;
  close(): Promise<void>;
}

export async function testKafka(config: Config, log: Logger): Promise<TestKafka> {
  const kafka = createKafka(config.kafka, log, '-test');
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  await ensureTopics(admin, config.kafka);
  const topics = [config.kafka.topic, config.kafka.dlqTopic, ...(config.kafka.issuedTopic === undefined ? [] : [config.kafka.issuedTopic])];
  return {
    async produce(values, options = {}) {
      for (let start = 0; start < values.length; start += 1000) {
        await producer.send({
          topic: config.kafka.topic,
          acks: -1,
          messages: values.slice(start, start + 1000).map((value) => {
            const request = typeof value === 'string' ? undefined : value;
            const key = request === undefined ? 'poison' : options.keyBy === 'userId' ? request.userId : String(request.couponId);
            return { key, value: request === undefined ? (value as string) : encodeIssueRequest(request), ...(options.partition === undefined ? {} : { partition: options.partition }) };
          }),
        });
      }
    },
    async caughtUp(groupId, topic = config.kafka.topic) {
      const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
      return ends.every((end) => end.high === '0' || done.get(end.partition) === end.high);
    },
    async readTopic(topic, enough, timeoutMs = 30_000) {
      const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}`, maxWaitTimeInMs: 100 });
      const seen: TopicMessage[] = [];
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
            seen.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers });
          },
        });
        await waitUntil(async () => seen, enough, timeoutMs);
      } finally {
        await consumer.disconnect();
      }
      return seen;
    },
    async deleteTopics() {
      await admin.deleteTopics({ topics }).catch(() => undefined);
    },
    async close() {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}

/** A pool on the test database and a coupon maker whose coupons are dropped at teardown. */
export async function scratchCoupons(config: Config, teardown: (fn: () => Promise<void>) => void): Promise<{ pool: Pool; coupon: (stock: number) => Promise<number> }> {
  const pool = await openStore(config);
  const couponIds: number[] = [];
  teardown(async () => {
    await dropCoupons(pool, couponIds);
    await pool.end();
  });
  return {
    pool,
    async coupon(stock) {
      const id = await createCoupon(pool, stock);
      couponIds.push(id);
      return id;
    },
  };
}
