import type { KafkaConsumer, LibrdKafkaError, TopicPartition, TopicPartitionOffset } from '@confluentinc/kafka-javascript';

/** Methods the library implements but its type definitions do not declare yet. */
export type RdKafkaConsumer = KafkaConsumer & {
  setDefaultIsTimeoutOnlyForFirstMessage(value: boolean): void;
  rebalanceProtocol(): 'NONE' | 'EAGER' | 'COOPERATIVE';
  incrementalAssign(assignment: TopicPartition[]): void;
  incrementalUnassign(assignment: TopicPartition[]): void;
  assignmentLost(): boolean;
  commitCb(offsets: TopicPartitionOffset[], cb: (err: LibrdKafkaError | null) => void): void;
};
