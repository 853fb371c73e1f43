/** What a transport's consumer (queue/kafka, queue/redis-list) hands back once started. */
export interface RunningConsumer {
  /** Finishes the batches in flight (rows, dead letters, acknowledgements), then leaves. */
  stop(): Promise<void>;
}
