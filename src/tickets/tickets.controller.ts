import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { Actor } from '../common/request-context/actor.decorator';
import type { RequestActor } from '../common/request-context/request-actor';
import { RequesterAllowed } from '../common/auth/requester-allowed.decorator';
import { IdParamPipe } from '../common/validation/id-param.pipe';
import { ZodValidationPipe } from '../common/validation/zod-validation.pipe';
import { TicketResponseDto } from './dto/ticket-response.dto';
import { TicketSubmission, TicketSubmissionPipe } from './dto/ticket-submission.pipe';
import { TicketApproveInput, ticketApproveSchema, TicketQueryInput, ticketQuerySchema, TicketRejectInput, ticketRejectSchema } from './dto/ticket.schemas';
import { TicketsService } from './tickets.service';

@Controller('api/tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Post()
  @RequesterAllowed()
  submit(@Body(new TicketSubmissionPipe()) input: TicketSubmission, @Actor() actor: RequestActor): Promise<TicketResponseDto> {
    return this.tickets.submit(input, actor);
  }

  @Get()
  @RequesterAllowed()
  list(@Query(new ZodValidationPipe(ticketQuerySchema)) query: TicketQueryInput, @Actor() actor: RequestActor): Promise<TicketResponseDto[]> {
    return this.tickets.list(query, actor);
  }

  @Get(':id')
  @RequesterAllowed()
  get(@Param('id', IdParamPipe) id: number, @Actor() actor: RequestActor): Promise<TicketResponseDto> {
    return this.tickets.get(id, actor);
  }

  @Post(':id/approve')
  @HttpCode(200)
  approve(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(ticketApproveSchema, { absentBodyAs: {} })) input: TicketApproveInput,
    @Actor() actor: RequestActor,
  ): Promise<TicketResponseDto> {
    return this.tickets.approve(id, input, actor);
  }

  @Post(':id/reject')
  @HttpCode(200)
  reject(
    @Param('id', IdParamPipe) id: number,
    @Body(new ZodValidationPipe(ticketRejectSchema)) input: TicketRejectInput,
    @Actor() actor: RequestActor,
  ): Promise<TicketResponseDto> {
    return this.tickets.reject(id, input, actor);
  }
}
