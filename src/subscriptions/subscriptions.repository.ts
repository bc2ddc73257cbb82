import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, ObjectLiteral } from 'typeorm';
import type { SubscriptionSort } from './dto/subscription-list-query.schema';
import { EndpointEntity } from './entities/endpoint.entity';
import { EtlConfigEntity } from './entities/etl-config.entity';
import { KafkaSourceEntity } from './entities/kafka-source.entity';
import { SubscriptionEntity } from './entities/subscription.entity';
import { SubscriptionSnapshot } from './subscription-snapshot';

type ConfigEntity = typeof KafkaSourceEntity | typeof EndpointEntity | typeof EtlConfigEntity;

/** What {@link SubscriptionsRepository.search} matches, in SQL; every field narrows (AND). */
export interface SubscriptionSearch {
  /** A case-insensitive substring of the name or the topic. */
  q?: string;
  topic?: string;
  status?: string;
  owner?: string;
  /** Only these ids (found from runtime data); [] matches nothing. */
  onlyIds?: readonly number[];
  /** None of these ids. */
  exceptIds?: readonly number[];
  sort: SubscriptionSort;
  /** The sort key (id or name) of the last row of the previous page. */
  after?: number | string;
  /** Rows a page; absent: every matching row. */
  limit?: number;
}

const ORDER_BY: Record<SubscriptionSort, string> = { id: 's.id ASC', '-id': 's.id DESC', name: 's.name ASC', '-name': 's.name DESC' };

/**
 * Subscription rows and their three config rows. Every write touches only the columns it
 * changes, so a concurrent write to other columns (an API call or a hand-written SQL UPDATE)
 * survives; every API write raises `version`, and status commands raise `status_version`.
 */
@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findAll(): Promise<SubscriptionEntity[]> {
    return this.dataSource.getRepository(SubscriptionEntity).find({ order: { id: 'ASC' } });
  }

  /**
   * Subscriptions whose consumer group is `groupId` (any cluster), with their brokers. A row
   * written with SQL and no group_id consumes as kproxy.<name>, so it holds that group.
   */
  async findByGroupId(groupId: string): Promise<{ id: number; name: string; owner: string | null; brokers: string }[]> {
    const rows: { id: number; name: string; owner: string | null; brokers: string }[] = await this.dataSource.query(
      "SELECT s.id, s.name, s.owner, k.brokers FROM subscriptions s JOIN kafka_sources k ON k.id = s.kafka_source_id WHERE k.group_id = ? OR (k.group_id IS NULL AND CONCAT('kproxy.', s.name) = ?) ORDER BY s.id",
      [groupId, groupId],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** Subscriptions whose endpoint names `rateGroup`. */
  async findByRateGroup(rateGroup: string): Promise<{ id: number; name: string; owner: string | null; ratePerSec: number }[]> {
    const rows: { id: number; name: string; owner: string | null; rate_per_sec: number }[] = await this.dataSource.query(
      'SELECT s.id, s.name, s.owner, s.rate_per_sec FROM subscriptions s JOIN endpoints e ON e.id = s.endpoint_id WHERE e.rate_group = ? ORDER BY s.id',
      [rateGroup],
    );
    return rows.map((r) => ({ id: Number(r.id), name: r.name, owner: r.owner, ratePerSec: Number(r.rate_per_sec) }));
  }

  /** Subscriptions consuming `topic` (any cluster), with their owners. */
  async findByTopic(topic: string): Promise<{ id: number; name: string; owner: string | null }[]> {
    const rows: { id: number; name: string; owner: string | null }[] = await this.dataSource.query(
      'SELECT s.id, s.name, s.owner FROM subscriptions s JOIN kafka_sources k ON k.id = s.kafka_source_id WHERE k.topic = ? ORDER BY s.id',
      [topic],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** Every known broker list, for telling a ticket that points at a new cluster. */
  async knownBrokers(): Promise<string[]> {
    const rows: { brokers: string }[] = await this.dataSource.query('SELECT DISTINCT brokers FROM kafka_sources');
    return rows.map((r) => r.brokers);
  }

  /**
   * A page of the subscriptions `search` matches, in its sort, after `search.after`, with the
   * number matching in all (`total`, cursor left out) and whether rows follow the page (`more`).
   * Two statements (the ids of the page, then their rows), plus the count; names and topics are
   * compared lower-cased (LOWER, so the utf8mb4_bin columns match case-insensitively).
   */
  async search(search: SubscriptionSearch): Promise<{ rows: SubscriptionEntity[]; total: number; more: boolean }> {
    if (search.onlyIds && search.onlyIds.length === 0) return { rows: [], total: 0, more: false };
    const where: string[] = [];
    const params: unknown[] = [];
    if (search.q !== undefined) {
      where.push('(LOCATE(LOWER(?), LOWER(s.name)) > 0 OR LOCATE(LOWER(?), LOWER(k.topic)) > 0)');
      params.push(search.q, search.q);
    }
    if (search.topic !== undefined) (where.push('k.topic = ?'), params.push(search.topic));
    if (search.status !== undefined) (where.push('s.status = ?'), params.push(search.status));
    if (search.owner !== undefined) (where.push('s.owner = ?'), params.push(search.owner));
    const marks = (ids: readonly number[]) => ids.map(() => '?').join(', ');
    if (search.onlyIds) (where.push(`s.id IN (${marks(search.onlyIds)})`), params.push(...search.onlyIds));
    if (search.exceptIds?.length) (where.push(`s.id NOT IN (${marks(search.exceptIds)})`), params.push(...search.exceptIds));
    const from = `FROM subscriptions s JOIN kafka_sources k ON k.id = s.kafka_source_id${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
    const [{ n }] = (await this.dataSource.query(`SELECT COUNT(*) AS n ${from}`, params)) as Array<{ n: string | number }>;
    const page = [...where];
    const pageParams = [...params];
    if (search.after !== undefined) {
      const column = search.sort.endsWith('name') ? 's.name' : 's.id';
      page.push(`${column} ${search.sort.startsWith('-') ? '<' : '>'} ?`);
      pageParams.push(search.after);
    }
    let sql = `SELECT s.id FROM subscriptions s JOIN kafka_sources k ON k.id = s.kafka_source_id${page.length ? ` WHERE ${page.join(' AND ')}` : ''} ORDER BY ${ORDER_BY[search.sort]}`;
    if (search.limit !== undefined) ((sql += ' LIMIT ?'), pageParams.push(search.limit + 1));
    const ids = ((await this.dataSource.query(sql, pageParams)) as Array<{ id: number | string }>).map((r) => Number(r.id));
    const more = search.limit !== undefined && ids.length > search.limit;
    const pageIds = more ? ids.slice(0, search.limit) : ids;
    const found = pageIds.length ? await this.dataSource.getRepository(SubscriptionEntity).find({ where: { id: In(pageIds) } }) : [];
    const byId = new Map(found.map((row) => [row.id, row]));
    // A row deleted between the two statements is left out.
    const rows = pageIds.map((id) => byId.get(id)).filter((row): row is SubscriptionEntity => row !== undefined);
    return { rows, total: Number(n), more };
  }

  findById(id: number): Promise<SubscriptionEntity | null> {
    return this.dataSource.getRepository(SubscriptionEntity).findOne({ where: { id } });
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Inserts a new subscription and its config rows inside the caller's transaction; answers the row as stored. */
  async insertWithin(em: EntityManager, row: SubscriptionEntity): Promise<SubscriptionEntity> {
    const saved = await em.save(SubscriptionEntity, row);
    return (await em.findOne(SubscriptionEntity, { where: { id: saved.id } }))!;
  }

  /**
   * Writes what changed between `before` (taken when `row` was read) and `row`, only if the
   * subscription is still at the version `before` was read at; null when it is not (nothing
   * written). `statusCommand` raises status_version (the body set the status). Answers the row
   * as this transaction left it, so the caller's audit shows this change and no other.
   */
  update(before: SubscriptionSnapshot, row: SubscriptionEntity, statusCommand: boolean): Promise<SubscriptionEntity | null> {
    return this.dataSource.transaction(async (em) => {
      const changes: ObjectLiteral = before.changedColumns(SubscriptionEntity, row);
      if (statusCommand) changes.statusVersion = () => 'status_version + 1';
      // TypeORM raises the version column in every UPDATE it builds.
      const res = await em
        .createQueryBuilder()
        .update(SubscriptionEntity)
        .set(changes)
        .where('id = :id AND version = :version', { id: before.id, version: before.version })
        .execute();
      if (!res.affected) return null;
      await this.updateConfig(em, KafkaSourceEntity, before.changedColumns(KafkaSourceEntity, row.kafka), row.kafka.id);
      await this.updateConfig(em, EndpointEntity, before.changedColumns(EndpointEntity, row.endpoint), row.endpoint.id);
      if (row.etl && before.etlId !== null) {
        await this.updateConfig(em, EtlConfigEntity, before.changedColumns(EtlConfigEntity, row.etl), before.etlId);
      } else if (row.etl) {
        const etl = await em.save(EtlConfigEntity, row.etl);
        await em.query('UPDATE subscriptions SET etl_config_id = ? WHERE id = ?', [etl.id, before.id]);
      } else if (before.etlId !== null) {
        await em.query('UPDATE subscriptions SET etl_config_id = NULL WHERE id = ?', [before.id]);
        await this.deleteIfUnused(em, EtlConfigEntity, 'etl_config_id', before.etlId);
      }
      return em.findOne(SubscriptionEntity, { where: { id: before.id } });
    });
  }

  /** What `update` compares against: take it before changing a row read with findById. */
  snapshot(row: SubscriptionEntity): SubscriptionSnapshot {
    return SubscriptionSnapshot.take(this.dataSource, row);
  }

  /**
   * Sets the status with the row locked, so `before` is exactly what this command replaced.
   * `check` sees the locked row and may throw (a failed If-Match) or answer false to write
   * nothing ('refused': the reset's restart when someone chose the status meanwhile). The version goes up
   * only when the status changes; status_version on every command.
   */
  setStatus(
    id: number,
    status: string,
    check: (row: SubscriptionEntity) => boolean,
  ): Promise<{ before: SubscriptionEntity; after: SubscriptionEntity } | 'missing' | 'refused'> {
    return this.dataSource.transaction(async (em) => {
      const before = await em.findOne(SubscriptionEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!before) return 'missing';
      if (!check(before)) return 'refused';
      const bump = before.status === status ? 0 : 1;
      await em.query('UPDATE subscriptions SET status = ?, version = version + ?, status_version = status_version + 1 WHERE id = ?', [status, bump, id]);
      return { before, after: (await em.findOne(SubscriptionEntity, { where: { id } }))! };
    });
  }

  /**
   * Removes the subscription and the config rows no other subscription shares, with the row
   * locked; `check` sees it first and may throw. Answers the removed row, null when there was none.
   */
  delete(id: number, check: (row: SubscriptionEntity) => void): Promise<SubscriptionEntity | null> {
    return this.dataSource.transaction(async (em) => {
      const row = await em.findOne(SubscriptionEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!row) return null;
      check(row);
      await em.delete(SubscriptionEntity, { id: row.id });
      await this.deleteIfUnused(em, KafkaSourceEntity, 'kafka_source_id', row.kafka.id);
      await this.deleteIfUnused(em, EndpointEntity, 'endpoint_id', row.endpoint.id);
      if (row.etl) await this.deleteIfUnused(em, EtlConfigEntity, 'etl_config_id', row.etl.id);
      return row;
    });
  }

  private async updateConfig(em: EntityManager, entity: ConfigEntity, changes: ObjectLiteral, id: number): Promise<void> {
    if (Object.keys(changes).length) await em.update(entity, { id }, changes);
  }

  private async deleteIfUnused(em: EntityManager, entity: ConfigEntity, column: string, id: number): Promise<void> {
    const [{ n }] = await em.query(`SELECT COUNT(*) AS n FROM subscriptions WHERE ${column} = ?`, [id]);
    if (Number(n) === 0) await em.delete(entity, { id });
  }
}
