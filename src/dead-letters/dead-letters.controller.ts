import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Actor } from '../common/request-context/actor.decorator';
import type { RequestActor } from '../common/request-context/request-actor';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { DeadLetterRedeliveryService } from './dead-letter-redelivery.service';
import { DeadLettersService } from './dead-letters.service';
import { DeadLetterBulkJobRequest, deadLetterBulkJobSchema } from './dto/dead-letter-bulk-job.schema';
import { DeadLetterBulkRequest, deadLetterBulkSchema } from './dto/dead-letter-bulk.schema';
import { DeadLetterQueryInput, deadLetterQuerySchema } from './dto/dead-letter-query.schema';
import { DeadLetterRedeliverRequest, deadLetterRedeliverSchema } from './dto/dead-letter-redeliver.schema';
import { DeadLetterResponseDto } from './dto/dead-letter-response.dto';
import { RedeliveryJobResponseDto } from './dto/redelivery-job-response.dto';
import { JobIdParamPipe } from './job-id-param.pipe';
import { RedeliveryJobsService } from './redelivery-jobs.service';

@Controller('api/dead-letters')
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLettersService,
    private readonly redelivery: DeadLetterRedeliveryService,
    private readonly jobs: RedeliveryJobsService,
  ) {}

  /**
   * A page of excerpts (see DeadLettersService.list). When the byte bound ended the page before
   * `limit` rows, a `Link: <…&beforeId=N>; rel="next"` header (RFC 8288) names the next page.
   * `X-Total-Count` says how many match the filter in all (every page), as for subscriptions.
   */
  @Get()
  async list(
    @Query(new ZodValidationPipe(deadLetterQuerySchema)) query: DeadLetterQueryInput,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<DeadLetterResponseDto[]> {
    const [page, total] = await Promise.all([this.deadLetters.list(query), this.deadLetters.count(query)]);
    res.setHeader('X-Total-Count', String(total));
    if (page.more) {
      const next = new URLSearchParams(req.query as Record<string, string>);
      next.set('beforeId', String(page.more.beforeId));
      res.setHeader('Link', `</api/dead-letters?${next}>; rel="next"`);
    }
    return page.rows;
  }

  /** Starts a bulk re-delivery job (RedeliveryJobsService.start) and answers 202 with it at once. */
  @Post('redeliver-jobs')
  @HttpCode(202)
  async startJob(
    @Body(new ZodValidationPipe(deadLetterRedeliverSchema)) body: DeadLetterRedeliverRequest,
    @Actor() actor: RequestActor,
  ): Promise<RedeliveryJobResponseDto> {
    return RedeliveryJobResponseDto.from(await this.jobs.start(body.subscriptionId, body.limit, actor));
  }

  /**
   * Starts a background job that re-delivers or discards a selection: `ids`, or every pending
   * dead letter `filter` matches (the list's filter). 202 with the job at once; it is watched and
   * cancelled through redeliver-jobs/:jobId like any bulk job, and shares their slots.
   */
  @Post('bulk-jobs')
  @HttpCode(202)
  async startBulkJob(
    @Body(new ZodValidationPipe(deadLetterBulkJobSchema)) body: DeadLetterBulkJobRequest,
    @Actor() actor: RequestActor,
  ): Promise<RedeliveryJobResponseDto> {
    const selection = body.ids ? { ids: [...new Set(body.ids)] } : { filter: body.filter! };
    return RedeliveryJobResponseDto.from(await this.jobs.startSelection(body.action, selection, body.limit, actor));
  }

  /** This instance's jobs, newest first. Declared before ':id', which would take this path. */
  @Get('redeliver-jobs')
  listJobs(): RedeliveryJobResponseDto[] {
    return this.jobs.list().map((job) => RedeliveryJobResponseDto.from(job));
  }

  @Get('redeliver-jobs/:jobId')
  getJob(@Param('jobId', JobIdParamPipe) jobId: string): RedeliveryJobResponseDto {
    return RedeliveryJobResponseDto.from(this.jobs.get(jobId));
  }

  @Post('redeliver-jobs/:jobId/cancel')
  @HttpCode(200)
  async cancelJob(@Param('jobId', JobIdParamPipe) jobId: string, @Actor() actor: RequestActor): Promise<RedeliveryJobResponseDto> {
    return RedeliveryJobResponseDto.from(await this.jobs.cancel(jobId, actor));
  }

  @Get(':id')
  get(@Param('id', IdParamPipe) id: number): Promise<DeadLetterResponseDto> {
    return this.deadLetters.get(id);
  }

  /**
   * The synchronous bulk re-delivery, kept with its answer: it runs as a job (same limit, same
   * job slots) and answers when the job ends, with the job's id, its end state and whether
   * more were pending than `limit` (then call again, or use a job).
   */
  @Post('redeliver')
  @HttpCode(200)
  async redeliverAll(@Body(new ZodValidationPipe(deadLetterRedeliverSchema)) body: DeadLetterRedeliverRequest, @Actor() actor: RequestActor) {
    const job = await this.jobs.start(body.subscriptionId, body.limit, actor);
    await job.finished;
    if (job.state === 'failed') throw job.cause;
    return { redelivered: job.succeeded, failed: job.failed, discarded: job.discarded, jobId: job.id, state: job.state, more: job.more };
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
