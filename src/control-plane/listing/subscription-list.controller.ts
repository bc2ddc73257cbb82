import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RequesterAllowed } from '../../common/auth/requester-allowed.decorator';
import { Actor } from '../../common/request-context/actor.decorator';
import type { RequestActor } from '../../common/request-context/request-actor';
import { ZodValidationPipe } from '../../common/validation/zod-validation.pipe';
import { isPaged, SubscriptionCursor, type SubscriptionListQuery, subscriptionListQuerySchema } from '../../subscriptions/dto/subscription-list-query.schema';
import type { SubscriptionResponseDto } from '../../subscriptions/dto/subscription-response.dto';
import { SubscriptionListService } from './subscription-list.service';

@Controller('api/subscriptions')
export class SubscriptionListController {
  constructor(private readonly list: SubscriptionListService) {}

  /**
   * The subscriptions matching the query, as a JSON array (as API.md has always answered). Every
   * answer carries `X-Total-Count`: how many match in all. With `limit` or `cursor` it is one
   * page, and a `Link: </api/subscriptions?…&cursor=…>; rel="next"` header (RFC 8288) names the
   * next one while rows follow — the way GET /api/dead-letters pages, so a client pages both alike.
   */
  @Get()
  @RequesterAllowed()
  async search(
    @Query(new ZodValidationPipe(subscriptionListQuerySchema)) query: SubscriptionListQuery,
    @Actor() actor: RequestActor,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SubscriptionResponseDto[]> {
    const page = await this.list.list(query, actor);
    res.setHeader('X-Total-Count', String(page.total));
    const last = page.rows[page.rows.length - 1];
    if (isPaged(query) && page.more && last) {
      const next = new URLSearchParams(req.query as Record<string, string>);
      next.set('cursor', SubscriptionCursor.encode(query.sort, last));
      res.setHeader('Link', `</api/subscriptions?${next}>; rel="next"`);
    }
    return page.rows;
  }
}
