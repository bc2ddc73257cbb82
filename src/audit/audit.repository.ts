import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, FindOptionsWhere, LessThan } from 'typeorm';
import { AuditEntryEntity } from './audit-entry.entity';
import type { AuditQueryInput } from './dto/audit-query.schema';

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(row: Partial<AuditEntryEntity>): Promise<void> {
    const repo = this.dataSource.getRepository(AuditEntryEntity);
    await repo.save(repo.create(row));
  }

  /** Newest first; `beforeId` pages further back. */
  find(query: AuditQueryInput): Promise<AuditEntryEntity[]> {
    const where: FindOptionsWhere<AuditEntryEntity> = {};
    if (query.resourceType) where.resourceType = query.resourceType;
    if (query.resourceId) where.resourceId = query.resourceId;
    if (query.beforeId) where.id = LessThan(query.beforeId);
    return this.dataSource.getRepository(AuditEntryEntity).find({ where, order: { id: 'DESC' }, take: query.limit });
  }
}
