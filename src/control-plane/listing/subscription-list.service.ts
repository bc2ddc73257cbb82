import { Injectable } from '@nestjs/common';
import { InstancesService } from '../../cluster/instances.service';
import type { RequestActor } from '../../common/request-context/request-actor';
import { DeadLettersService } from '../../dead-letters/dead-letters.service';
import type { SubscriptionListQuery } from '../../subscriptions/dto/subscription-list-query.schema';
import type { SubscriptionResponseDto } from '../../subscriptions/dto/subscription-response.dto';
import type { SubscriptionSearch } from '../../subscriptions/subscriptions.repository';
import { SubscriptionsService } from '../../subscriptions/subscriptions.service';

/** What the live instances report of one subscription (their heartbeats; this instance's own state live). */
interface ReportedHealth {
  /** Records behind, summed over the instances running it. */
  lag: number;
  /** Some instance has its endpoint's breaker open or half-open. */
  breakerOpen: boolean;
}

/**
 * GET /api/subscriptions: search, filters and pages in SQL, the health filters from data already
 * at hand, never Kafka: lag and breaker from the instances' heartbeats (one read of the
 * instances table; each consumer reports its lag from the watermarks its own fetches brought,
 * so it is as old as the last heartbeat), pending dead letters from one indexed read of the
 * dead_letters table. The matching ids then narrow the SQL, so paging and counts stay exact.
 */
@Injectable()
export class SubscriptionListService {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly instances: InstancesService,
    private readonly deadLetters: DeadLettersService,
  ) {}

  /**
   * The page the query asks for (every match without limit and cursor), as the actor may see
   * it, with the number matching in all and whether more follow. A requester's health filters
   * match only its own team's subscriptions: their health is what /status refuses it for others.
   */
  async list(query: SubscriptionListQuery, actor?: RequestActor): Promise<{ rows: SubscriptionResponseDto[]; total: number; more: boolean }> {
    const search: SubscriptionSearch = {
      q: query.q,
      topic: query.topic,
      status: query.status,
      owner: query.owner,
      sort: query.sort,
      after: query.after,
      limit: query.limit,
    };
    const healthAsked = query.lagOver !== undefined || query.breakerOpen !== undefined || query.pendingDeadLetters !== undefined;
    if (healthAsked) {
      if (actor?.role === 'requester') {
        if (query.owner !== undefined && query.owner !== actor.team) return { rows: [], total: 0, more: false };
        search.owner = actor.team ?? undefined;
      }
      const only: Array<Set<number>> = [];
      const except = new Set<number>();
      if (query.lagOver !== undefined || query.breakerOpen !== undefined) {
        const health = await this.reportedHealth();
        if (query.lagOver !== undefined) only.push(new Set([...health].filter(([, h]) => h.lag > query.lagOver!).map(([id]) => id)));
        const open = [...health].filter(([, h]) => h.breakerOpen).map(([id]) => id);
        if (query.breakerOpen === true) only.push(new Set(open));
        if (query.breakerOpen === false) open.forEach((id) => except.add(id));
      }
      if (query.pendingDeadLetters !== undefined) {
        const pending = await this.deadLetters.subscriptionsWithPending();
        if (query.pendingDeadLetters) only.push(new Set(pending));
        else pending.forEach((id) => except.add(id));
      }
      if (only.length) search.onlyIds = [...only.reduce((a, b) => new Set([...a].filter((id) => b.has(id))))];
      search.exceptIds = [...except];
    }
    return this.subscriptions.search(search, actor);
  }

  /** Lag and breaker by subscription id, from the live instances' reports. */
  private async reportedHealth(): Promise<Map<number, ReportedHealth>> {
    const out = new Map<number, ReportedHealth>();
    for (const inst of await this.instances.list()) {
      if (!inst.live) continue;
      for (const consumer of inst.running) {
        if (consumer.state === 'stopped') continue;
        const h = out.get(consumer.subscriptionId) ?? { lag: 0, breakerOpen: false };
        h.lag += Number.isFinite(consumer.lag) ? consumer.lag! : 0;
        if (consumer.endpoint && consumer.endpoint.circuit.state !== 'closed') h.breakerOpen = true;
        out.set(consumer.subscriptionId, h);
      }
    }
    return out;
  }
}
