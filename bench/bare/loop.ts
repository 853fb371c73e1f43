/**
 * The bare references the service is measured against (`npm run bench:bare`): a
 * uWebSockets.js app whose whole work per issue request is one EVALSHA of a minimal admit
 * script (bench/bare/admit-2.lua) and, with --handoff, one kafkajs send per event-loop turn
 * (acks=all) of that turn's admissions before their 202s. No validation past the body's
 * userId, no metrics, logs, batching of Redis calls or fault handling: what a front door
 * costs when it does nothing else.
 *
 *   node dist/bench/bare/loop.js --port 8090 [--handoff --topic T] [--redis-url U] [--kafka-brokers B]
 *
 * It prints "ready" once it listens, and stops on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import kafkajs, { type Producer } from 'kafkajs';
import uWS, { type HttpResponse } from 'uWebSockets.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { bareKeys } from './keys.js';

const ADMIT_SOURCE = readFileSync(join(PACKAGE_ROOT, 'bench', 'bare', 'admit-2.lua'), 'utf8');

interface Answer {
  res: HttpResponse;
  aborted: boolean;
}

function answer(pending: Answer, status: string, body: string): void {
  if (pending.aborted) return;
  pending.res.cork(() => pending.res.writeStatus(status).writeHeader('content-type', 'application/json').end(body));
}

/** One send per event-loop turn, as many in flight as turns (kafkajs's default). */
class TurnSender {
  private messages: { key: string; value: string }[] = [];
  private answers: Answer[] = [];
  private scheduled = false;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  add(key: string, value: string, pending: Answer): void {
    this.messages.push({ key, value });
    this.answers.push(pending);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const messages = this.messages;
    const answers = this.answers;
    this.messages = [];
    this.answers = [];
    this.scheduled = false;
    this.producer.send({ topic: this.topic, acks: -1, messages }).then(
      () => {
        for (const pending of answers) answer(pending, '202 Accepted', '{"status":"ACCEPTED"}');
      },
      () => {
        for (const pending of answers) answer(pending, '503 Service Unavailable', '{"code":"QUEUE_UNAVAILABLE"}');
      },
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      handoff: { type: 'boolean', default: false },
      topic: { type: 'string' },
      'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
      'kafka-brokers': { type: 'string', default: '127.0.0.1:9092' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1) throw new Error('--port is required');
  if (values.handoff && values.topic === undefined) throw new Error('--handoff needs --topic');

  const redis = new Redis(values['redis-url']);
  const sha = (await redis.script('LOAD', ADMIT_SOURCE)) as string;
  let sender: TurnSender | undefined;
  let producer: Producer | undefined;
  if (values.handoff) {
    const kafka = new kafkajs.Kafka({ clientId: 'bare-loop', brokers: values['kafka-brokers'].split(','), logLevel: kafkajs.logLevel.NOTHING });
    producer = kafka.producer({ idempotent: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    sender = new TurnSender(producer, values.topic as string);
  }

  const app = uWS.App();
  app.post('/api/coupons/:couponId/issue', (res, req) => {
    const couponId = req.getParameter(0) ?? '';
    const pending: Answer = { res, aborted: false };
    res.onAborted(() => {
      pending.aborted = true;
    });
    const chunks: Buffer[] = [];
    res.onData((chunk, isLast) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      let userId: unknown;
      try {
        userId = (JSON.parse(Buffer.concat(chunks).toString()) as { userId?: unknown }).userId;
      } catch {
        userId = undefined;
      }
      if (typeof userId !== 'string') return answer(pending, '400 Bad Request', '{"code":"INVALID_REQUEST"}');
      const [meta, users] = bareKeys(couponId);
      redis.evalsha(sha, 2, meta, users, userId).then(
        (ticket) => {
          if (Number(ticket) === 0) answer(pending, '409 Conflict', '{"code":"SOLD_OUT"}');
          else if (sender === undefined) answer(pending, '202 Accepted', '{"status":"ACCEPTED"}');
          else sender.add(couponId, `{"c":${couponId},"u":"${userId}","t":${Number(ticket)},"a":${Date.now()}}`, pending);
        },
        () => answer(pending, '503 Service Unavailable', '{"code":"GATE_UNAVAILABLE"}'),
      );
    });
  });
  const listening = await new Promise<uWS.us_listen_socket | false>((resolve) => app.listen('127.0.0.1', port, resolve));
  if (listening === false) throw new Error(`cannot listen on port ${port}`);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    uWS.us_listen_socket_close(listening);
    void Promise.all([redis.quit(), producer?.disconnect()]).finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare loop: ${(err as Error).message}\n`);
  process.exit(1);
});
