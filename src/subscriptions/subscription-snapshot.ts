import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { EndpointEntity } from './entities/endpoint.entity';
import { EtlConfigEntity } from './entities/etl-config.entity';
import { KafkaSourceEntity } from './entities/kafka-source.entity';
import { SubscriptionEntity } from './entities/subscription.entity';

type Values = Map<string, string>;

/**
 * The stored values of a subscription and its config rows as read, so a write can name only
 * the columns it changes (a PATCH of the rate must not write back a status it read earlier).
 * Values are compared as JSON text; ids, versions, timestamps and relations are not columns a
 * write sets.
 */
export class SubscriptionSnapshot {
  private constructor(
    private readonly dataSource: DataSource,
    readonly id: number,
    readonly version: number,
    /** The ETL row the subscription pointed at; null when it had none. */
    readonly etlId: number | null,
    private readonly values: Map<EntityTarget<ObjectLiteral>, Values>,
  ) {}

  static take(dataSource: DataSource, row: SubscriptionEntity): SubscriptionSnapshot {
    const values = new Map<EntityTarget<ObjectLiteral>, Values>([
      [SubscriptionEntity, read(dataSource, SubscriptionEntity, row)],
      [KafkaSourceEntity, read(dataSource, KafkaSourceEntity, row.kafka)],
      [EndpointEntity, read(dataSource, EndpointEntity, row.endpoint)],
    ]);
    if (row.etl) values.set(EtlConfigEntity, read(dataSource, EtlConfigEntity, row.etl));
    return new SubscriptionSnapshot(dataSource, row.id, row.version, row.etl?.id ?? null, values);
  }

  /** `{propertyName: value}` of the columns whose value differs from the snapshot's. */
  changedColumns(entity: EntityTarget<ObjectLiteral>, now: ObjectLiteral): ObjectLiteral {
    const was = this.values.get(entity);
    const out: ObjectLiteral = {};
    for (const [property, text] of read(this.dataSource, entity, now)) {
      if (was?.get(property) !== text) out[property] = now[property];
    }
    return out;
  }
}

function read(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>, row: ObjectLiteral): Values {
  const out: Values = new Map();
  for (const column of dataSource.getMetadata(entity).columns) {
    if (column.isPrimary || column.isCreateDate || column.isUpdateDate || column.isVersion || column.relationMetadata) continue;
    out.set(column.propertyName, JSON.stringify(row[column.propertyName] ?? null));
  }
  return out;
}
