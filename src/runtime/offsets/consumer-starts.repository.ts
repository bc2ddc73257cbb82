import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Identifies one taking-up of a topic: the subscription, its consumer group and the topic. */
export interface ConsumerStartKey {
  readonly subscriptionId: number;
  readonly groupId: string;
  readonly topic: string;
}

/**
 * Remembers, in the database, that a subscription has taken up a topic under a group
 * (table `consumer_starts`). Kafka forgets a group's committed offsets (offset retention after
 * `offsets.retention.minutes`, 7 days by default, of an empty group; topic deletion); without
 * this memory a subscription stopped for a week would look new and `startFrom: latest` would
 * skip everything produced meanwhile. Errors are the driver's (the caller retries).
 */
@Injectable()
export class ConsumerStartsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async startedBefore(key: ConsumerStartKey): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM consumer_starts WHERE subscription_id = ? AND group_id = ? AND topic = ?', [
      key.subscriptionId,
      key.groupId,
      key.topic,
    ]);
    return rows.length > 0;
  }

  /** Idempotent. */
  async markStarted(key: ConsumerStartKey): Promise<void> {
    await this.dataSource.query('INSERT IGNORE INTO consumer_starts (subscription_id, group_id, topic) VALUES (?, ?, ?)', [key.subscriptionId, key.groupId, key.topic]);
  }
}
