import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { TicketQueryInput } from './dto/ticket.schemas';
import { TicketEntity } from './ticket.entity';

@Injectable()
export class TicketsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  insert(row: Partial<TicketEntity>): Promise<TicketEntity> {
    const repo = this.dataSource.getRepository(TicketEntity);
    return repo.save(repo.create(row));
  }

  /** Newest first; only `team`'s tickets when a team is given. */
  find(query: TicketQueryInput, team?: string): Promise<TicketEntity[]> {
    return this.dataSource.getRepository(TicketEntity).find({
      where: { ...(query.state ? { state: query.state } : {}), ...(team !== undefined ? { team } : {}) },
      order: { id: 'DESC' },
      take: query.limit,
    });
  }

  /** A team's pending tickets, and the tickets it submitted since `since`. */
  async countForQuota(team: string, since: Date): Promise<{ pending: number; recent: number }> {
    const [row] = await this.dataSource.query(
      "SELECT COALESCE(SUM(state = 'pending'), 0) AS pending, COALESCE(SUM(created_at >= ?), 0) AS recent FROM tickets WHERE team = ?",
      [since, team],
    );
    return { pending: Number(row.pending), recent: Number(row.recent) };
  }

  findById(id: number): Promise<TicketEntity | null> {
    return this.dataSource.getRepository(TicketEntity).findOne({ where: { id } });
  }

  /**
   * Runs a decision in one transaction with the ticket row locked, so two operators deciding
   * at once are serialised and the loser sees the winner's state. `decide` may write other
   * rows through `em` (the approval's subscription); the ticket is saved after it.
   */
  decide(id: number, decide: (ticket: TicketEntity, em: EntityManager) => Promise<void>): Promise<TicketEntity | null> {
    return this.dataSource.transaction(async (em) => {
      const ticket = await em.findOne(TicketEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!ticket) return null;
      await decide(ticket, em);
      return em.save(TicketEntity, ticket);
    });
  }
}
