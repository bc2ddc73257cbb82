// @ts-check
/** @import { AuditEntry, BulkJobRequest, DeadLetter, Instance, OffsetResetRequest, Page, PreviewAnswer, PreviewSource, RedeliveryJob, Subscription, SubscriptionStatus, TestDeliveryResult, Ticket } from './types.js' */
/** @import { SubscriptionMetrics } from './types.js' */
import { request, requestPage } from './client.js';

/**
 * The admin API calls the console makes, one function each, typed by their answers (see
 * /docs for the API itself). Every one rejects with an ApiError.
 */
export const Api = {
  /** @returns {Promise<Instance[]>} */
  instances: () => request('GET', '/api/instances'),

  /** @returns {Promise<Subscription[]>} */
  subscriptions: () => request('GET', '/api/subscriptions'),
  /**
   * One page of the subscriptions a query matches (q, topic, status, owner, lagOver, breakerOpen,
   * pendingDeadLetters, sort, limit, cursor), with the total and the next page's query.
   * @param {URLSearchParams} query @returns {Promise<Page<Subscription>>}
   */
  subscriptionPage: (query) => requestPage(`/api/subscriptions?${query}`),
  /** @param {number} id @returns {Promise<Subscription>} */
  subscription: (id) => request('GET', `/api/subscriptions/${id}`),
  /** @param {number} id @returns {Promise<SubscriptionStatus>} */
  status: (id) => request('GET', `/api/subscriptions/${id}/status`),
  /** @param {number} id @param {string} window e.g. "1h" @returns {Promise<SubscriptionMetrics>} */
  metrics: (id, window) => request('GET', `/api/subscriptions/${id}/metrics?window=${encodeURIComponent(window)}`),
  /** @param {number} id @param {'start' | 'stop'} verb @returns {Promise<Subscription>} */
  startOrStop: (id, verb) => request('POST', `/api/subscriptions/${id}/${verb}`),
  /**
   * PATCH on the version the change was made from (If-Match: its ETag, RFC 9110 §13.1.1): a
   * newer one answers 412 VERSION_MISMATCH and changes nothing.
   * @param {number} id @param {Record<string, unknown>} body @param {number} version @returns {Promise<Subscription>}
   */
  patchSubscription: (id, body, version) => request('PATCH', `/api/subscriptions/${id}`, body, { 'if-match': `"${version}"` }),
  /** @param {number} id @param {OffsetResetRequest} body @returns {Promise<{partitions: Array<{partition: number, offset: number}>}>} */
  resetOffsets: (id, body) => request('POST', `/api/subscriptions/${id}/offsets/reset`, body),

  /** @param {Record<string, unknown>} subscription the spec being composed (name and kafka optional) @param {PreviewSource} source @returns {Promise<PreviewAnswer>} */
  preview: (subscription, source) => request('POST', '/api/preview', { subscription, ...source }),
  /** @param {number} id @param {PreviewSource} source @returns {Promise<PreviewAnswer>} under the stored config */
  previewSubscription: (id, source) => request('POST', `/api/subscriptions/${id}/preview`, source),
  /** @param {number} id @param {PreviewSource} source @returns {Promise<PreviewAnswer>} as the ticket's approval would create it, with its own credentials (operators) */
  previewTicket: (id, source) => request('POST', `/api/tickets/${id}/preview`, source),
  /** @param {number} id @param {string} body sent as is @returns {Promise<TestDeliveryResult>} */
  testDelivery: (id, body) => request('POST', `/api/subscriptions/${id}/test-delivery`, { body }),

  /** @returns {Promise<Ticket[]>} */
  tickets: () => request('GET', '/api/tickets?limit=200'),
  /** @param {Record<string, unknown>} body a subscription body plus requester and reason @returns {Promise<Ticket>} */
  submitTicket: (body) => request('POST', '/api/tickets', body),
  /** @param {number} id @returns {Promise<Ticket>} */
  approveTicket: (id) => request('POST', `/api/tickets/${id}/approve`, {}),
  /** @param {number} id @param {string} reason @returns {Promise<Ticket>} */
  rejectTicket: (id, reason) => request('POST', `/api/tickets/${id}/reject`, { reason }),

  /** @param {URLSearchParams} query subscriptionId, state, limit @returns {Promise<DeadLetter[]>} */
  deadLetters: (query) => request('GET', `/api/dead-letters?${query}`),
  /**
   * One page of dead letters (subscriptionId, topic, state, reason, createdFrom, createdTo,
   * beforeId, limit), with the total matching and, when the byte bound cut it, the next page's query.
   * @param {URLSearchParams} query @returns {Promise<Page<DeadLetter>>}
   */
  deadLetterPage: (query) => requestPage(`/api/dead-letters?${query}`),
  /** @param {BulkJobRequest} body @returns {Promise<RedeliveryJob>} the job, at once (202); follow it with redeliveryJob */
  startBulkJob: (body) => request('POST', '/api/dead-letters/bulk-jobs', body),
  /** @param {number} id @returns {Promise<DeadLetter>} the whole row, no excerpts */
  deadLetter: (id) => request('GET', `/api/dead-letters/${id}`),
  /** @param {number} id @param {'redeliver' | 'discard'} verb @returns {Promise<DeadLetter>} */
  redeliverOrDiscard: (id, verb) => request('POST', `/api/dead-letters/${id}/${verb}`),
  /** @param {number} subscriptionId @returns {Promise<{discarded?: number}>} */
  discardAll: (subscriptionId) => request('POST', '/api/dead-letters/discard', { subscriptionId }),
  /** @param {number} subscriptionId @returns {Promise<RedeliveryJob>} */
  startRedeliveryJob: (subscriptionId) => request('POST', '/api/dead-letters/redeliver-jobs', { subscriptionId }),
  /** @param {string} jobId @returns {Promise<RedeliveryJob>} */
  redeliveryJob: (jobId) => request('GET', `/api/dead-letters/redeliver-jobs/${jobId}`),
  /** @param {string} jobId @returns {Promise<RedeliveryJob>} */
  cancelRedeliveryJob: (jobId) => request('POST', `/api/dead-letters/redeliver-jobs/${jobId}/cancel`),

  /** @param {URLSearchParams} query resourceType, resourceId, limit @returns {Promise<AuditEntry[]>} */
  audit: (query) => request('GET', `/api/audit?${query}`),
};
