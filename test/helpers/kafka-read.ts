/** Reads a whole topic from the beginning with a throw-away consumer group. */
import kafkajs from 'kafkajs';
import { decodeIssueRequest, type IssueRequest } from '../../src/queue/message.js';
import { uniqueName } from './env.js';

/** Collects until `expected` messages arrived and then `quietMs` passed with no more. */
export async function readTopic(brokers: readonly string[], topic: string, expected: number, quietMs = 1500, timeoutMs = 60000): Promise<(IssueRequest & { key: string })[]> {
  const kafka = new kafkajs.Kafka({ brokers: [...brokers], clientId: uniqueName('reader'), logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const seen: (IssueRequest & { key: string })[] = [];
  let lastAt = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push({ ...decodeIssueRequest(message.value), key: message.key?.toString() ?? '' });
      lastAt = Date.now();
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !(seen.length >= expected && Date.now() - lastAt >= quietMs)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await consumer.disconnect();
  return seen;
}
