/**
 * QUEUE=kafka: the hand-off of admitted requests. A request is acknowledged (acks=all)
 * before its 202 is sent; the requests of one event-loop turn go out in one send.
 */
import kafkajs, { type Producer } from 'kafkajs';
import type { Config } from '../../config/index.js';
import type { Logger } from '../../logger.js';
import { encodeIssueRequest, type IssueRequest } from '../message.js';
import { producerBatchSize } from '../metrics.js';
import type { IssueQueue } from '../queue.js';
import type { KafkaClient } from './client.js';
import { MicroBatcher } from './micro-batcher.js';

export class KafkaIssueQueue implements IssueQueue {
  private readonly batcher: MicroBatcher<IssueRequest>;

  private constructor(
    private readonly producer: Producer,
    kafka: Config['kafka'],
  ) {
    const keyOf = kafka.partitionKey === 'userId' ? (r: IssueRequest) => r.userId : (r: IssueRequest) => String(r.couponId);
    this.batcher = new MicroBatcher<IssueRequest>(
      async (requests) => {
        producerBatchSize.observe(requests.length);
        await this.producer.send({
          topic: kafka.topic,
          acks: -1,
          messages: requests.map((request) => ({ key: keyOf(request), value: encodeIssueRequest(request) })),
        });
      },
      kafka.lingerMs,
      kafka.batchMax,
    );
  }

  static async connect(client: KafkaClient, kafka: Config['kafka'], log: Logger): Promise<KafkaIssueQueue> {
    const producer = client.producer({
      // Not idempotent: after a send that failed but that the broker wrote anyway, kafkajs
      // gives the next batch the failed one's sequence numbers, and the broker drops it as
      // a duplicate while acknowledging it: a 202 never stored (test/queue/producer.test.ts).
      // A batch written twice by a retry is harmless: the batch writer stores a user once.
      idempotent: false,
      maxInFlightRequests: 1,
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      // Few, short retries: while Kafka is down users get 503 in seconds, not a hang.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    producer.on(producer.events.DISCONNECT, () => log.warn('kafka producer disconnected'));
    await producer.connect();
    return new KafkaIssueQueue(producer, kafka);
  }

  enqueue(request: IssueRequest): Promise<void> {
    return this.batcher.add(request);
  }

  async close(): Promise<void> {
    await this.batcher.drain();
    await this.producer.disconnect();
  }
}
