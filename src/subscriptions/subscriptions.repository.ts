import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EndpointEntity } from './entities/endpoint.entity';
import { EtlConfigEntity } from './entities/etl-config.entity';
import { KafkaSourceEntity } from './entities/kafka-source.entity';
import { SubscriptionEntity } from './entities/subscription.entity';

@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findAll(): Promise<SubscriptionEntity[]> {
    return this.dataSource.getRepository(SubscriptionEntity).find({ order: { id: 'ASC' } });
  }

  findById(id: number): Promise<SubscriptionEntity | null> {
    return this.dataSource.getRepository(SubscriptionEntity).findOne({ where: { id } });
  }

  /** Saves the subscription and its three config rows in one transaction. */
  save(row: SubscriptionEntity): Promise<SubscriptionEntity> {
    return this.dataSource.transaction((em) => this.saveWithin(em, row));
  }

  /** The same, inside a caller's transaction (a ticket approval creates its subscription). */
  async saveWithin(em: EntityManager, row: SubscriptionEntity): Promise<SubscriptionEntity> {
    const previousEtl = row.id ? (await em.findOne(SubscriptionEntity, { where: { id: row.id } }))?.etl : null;
    const saved = await em.save(SubscriptionEntity, row);
    if (previousEtl && !row.etl) await this.deleteIfUnused(em, EtlConfigEntity, 'etl_config_id', previousEtl.id);
    return saved;
  }

  setStatus(id: number, status: string): Promise<void> {
    return this.dataSource
      .getRepository(SubscriptionEntity)
      .update({ id }, { status })
      .then(() => undefined);
  }

  /** Compare-and-set on the status; true when it changed. */
  async setStatusIf(id: number, from: string, to: string): Promise<boolean> {
    const res = await this.dataSource.getRepository(SubscriptionEntity).update({ id, status: from }, { status: to });
    return (res.affected ?? 0) > 0;
  }

  /** Removes the subscription and the config rows no other subscription shares. */
  delete(row: SubscriptionEntity): Promise<void> {
    return this.dataSource.transaction(async (em) => {
      await em.delete(SubscriptionEntity, { id: row.id });
      await this.deleteIfUnused(em, KafkaSourceEntity, 'kafka_source_id', row.kafka.id);
      await this.deleteIfUnused(em, EndpointEntity, 'endpoint_id', row.endpoint.id);
      if (row.etl) await this.deleteIfUnused(em, EtlConfigEntity, 'etl_config_id', row.etl.id);
    });
  }

  private async deleteIfUnused(
    em: EntityManager,
    entity: typeof KafkaSourceEntity | typeof EndpointEntity | typeof EtlConfigEntity,
    column: string,
    id: number,
  ): Promise<void> {
    const [{ n }] = await em.query(`SELECT COUNT(*) AS n FROM subscriptions WHERE ${column} = ?`, [id]);
    if (Number(n) === 0) await em.delete(entity, { id });
  }
}
