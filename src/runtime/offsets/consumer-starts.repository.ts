import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Identifies one taking-up of a topic: the subscription, its consumer group and the topic. */
export interface ConsumerStartKey {
  readonly subscriptionId: number;
  readonly groupId: string;
  readonly topic: string;
}

/** Where a partition started the first time: `start-from` (the first start) or `new-partition`. */
export interface RecordedStart {
  /** The topic's id (KIP-516, base64) when it was recorded, or null when unknown. */
  readonly topicId: string | null;
  readonly offset: number;
  readonly reason: 'start-from' | 'new-partition';
  /** Decided more than `agedMs` ago (by the database's clock), i.e. not by a member starting now. */
  readonly aged: boolean;
}

/**
 * The table `consumer_starts`: where each partition of a subscription's topic started the first
 * time it was taken up under a group. Kafka forgets a group's committed offsets (after
 * `offsets.retention.minutes`, 7 days by default, of an empty group; when the topic is
 * deleted), and members starting together must agree on a `latest` resolved once. Errors are
 * the driver's (the caller retries).
 */
@Injectable()
export class ConsumerStartsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every recorded partition of the key; `aged` compares decided_at with NOW(3) - agedMs. */
  async read(key: ConsumerStartKey, agedMs: number): Promise<Map<number, RecordedStart>> {
    const rows: Array<{ topic_id: string | null; partition_no: number; start_offset: string | number; reason: string; aged: number | string }> =
      await this.dataSource.query(
        `SELECT topic_id, partition_no, start_offset, reason, decided_at < NOW(3) - INTERVAL ? MICROSECOND AS aged
         FROM consumer_starts WHERE subscription_id = ? AND group_id = ? AND topic = ?`,
        [agedMs * 1000, key.subscriptionId, key.groupId, key.topic],
      );
    return new Map(
      rows.map((r) => [
        Number(r.partition_no),
        { topicId: r.topic_id, offset: Number(r.start_offset), reason: r.reason as RecordedStart['reason'], aged: Number(r.aged) === 1 },
      ]),
    );
  }

  /**
   * Records positions not recorded yet; an existing row wins (INSERT IGNORE), so concurrent
   * members agree. With `replace`, the key's rows of another topic id (a topic recreated
   * under the same name) are deleted first, in the same transaction.
   */
  async record(
    key: ConsumerStartKey,
    topicId: string | null,
    starts: ReadonlyArray<{ partition: number; offset: number; reason: RecordedStart['reason'] }>,
    replace = false,
  ): Promise<void> {
    if (starts.length === 0) return;
    const values = starts.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = starts.flatMap((s) => [key.subscriptionId, key.groupId, key.topic, topicId, s.partition, s.offset, s.reason]);
    await this.dataSource.transaction(async (m) => {
      if (replace) {
        await m.query('DELETE FROM consumer_starts WHERE subscription_id = ? AND group_id = ? AND topic = ? AND NOT (topic_id <=> ?)', [
          key.subscriptionId,
          key.groupId,
          key.topic,
          topicId,
        ]);
      }
      await m.query(
        `INSERT IGNORE INTO consumer_starts (subscription_id, group_id, topic, topic_id, partition_no, start_offset, reason) VALUES ${values}`,
        params,
      );
    });
  }
}
