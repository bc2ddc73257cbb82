import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Actor } from '../common/request-context/actor.decorator';
import type { RequestActor } from '../common/request-context/request-actor';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { DeadLetterRedeliveryService } from './dead-letter-redelivery.service';
import { DeadLettersService } from './dead-letters.service';
import { DeadLetterBulkRequest, deadLetterBulkSchema } from './dto/dead-letter-bulk.schema';
import { DeadLetterQueryInput, deadLetterQuerySchema } from './dto/dead-letter-query.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';

@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly redelivery: DeadLetterRedeliveryService,
  ) {}

  /**
   * A page of excerpts (see DeadLettersService.list). When the byte bound ended the page before
   * `limit` rows, a `Link: <…&beforeId=N>; rel="next"` header (RFC 8288) names the next page.
   */
  @Get()
  async list(
    @Query(new ZodValidationPipe(deadLetterQuerySchema)) query: DeadLetterQueryInput,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeadLetterResponseDto[]> {
    const page = await this.deadLetters.list(query);
    if (page.more) {
      const next = new URLSearchParams(req.query as Record<string, string>);
      next.set('beforeId', String(page.more.beforeId));
      res.setHeader('Link', `</api/dead-letters?${next}>; rel="next"`);
    }
    return page.rows;
  }

  @Get(':id')
  get(@Param('id', IdParamPipe) id: number): Promise<DeadLetterResponseDto> {
    return this.deadLetters.get(id);
  }

  @Post('redeliver')
  @HttpCode(200)
  redeliverAll(@Body(new ZodValidationPipe(deadLetterBulkSchema)) body: DeadLetterBulkRequest, @Actor() actor: RequestActor) {
    return this.redelivery.redeliverAll(body.subscriptionId, actor);
  }

  @Post('discard')
  @HttpCode(200)
  discardAll(@Body(new ZodValidationPipe(deadLetterBulkSchema)) body: DeadLetterBulkRequest, @Actor() actor: RequestActor) {
    return this.redelivery.discardAll(body.subscriptionId, actor);
  }

  @Post(':id/redeliver')
  @HttpCode(200)
  redeliver(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<DeadLetterResponseDto> {
    return this.redelivery.redeliverOne(id, actor);
  }

  @Post(':id/discard')
  @HttpCode(200)
  discard(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<DeadLetterResponseDto> {
    return this.redelivery.discardOne(id, actor);
  }
}
