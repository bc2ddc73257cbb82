// @ts-check
/** @import { AuditEntry, DeadLetter, Instance, OffsetResetRequest, PreviewAnswer, PreviewSource, RedeliveryJob, Subscription, SubscriptionStatus, TestDeliveryResult, Ticket } from './types.js' */
import { request } from './client.js';

/**
 * The admin API calls the console makes, one function each, typed by their answers (see
 * /docs for the API itself). Every one rejects with an ApiError.
 */
export const Api = {
  /** @returns {Promise<Instance[]>} */
  instances: () => request('GET', '/api/instances'),

  /** @returns {Promise<Subscription[]>} */
  subscriptions: () => request('GET', '/api/subscriptions'),
  /** @param {number} id @returns {Promise<Subscription>} */
  subscription: (id) => request('GET', `/api/subscriptions/${id}`),
  /** @param {number} id @returns {Promise<SubscriptionStatus>} */
  status: (id) => request('GET', `/api/subscriptions/${id}/status`),
  /** @param {number} id @param {'start' | 'stop'} verb @returns {Promise<Subscription>} */
  startOrStop: (id, verb) => request('POST', `/api/subscriptions/${id}/${verb}`),
  /** @param {number} id @param {OffsetResetRequest} body @returns {Promise<{partitions: Array<{partition: number, offset: number}>}>} */
  resetOffsets: (id, body) => request('POST', `/api/subscriptions/${id}/offsets/reset`, body),

  /** @param {Record<string, unknown>} subscription the spec being composed (name and kafka optional) @param {PreviewSource} source @returns {Promise<PreviewAnswer>} */
  preview: (subscription, source) => request('POST', '/api/preview', { subscription, ...source }),
  /** @param {number} id @param {PreviewSource} source @returns {Promise<PreviewAnswer>} under the stored config */
  previewSubscription: (id, source) => request('POST', `/api/subscriptions/${id}/preview`, source),
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
