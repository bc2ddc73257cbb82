// @ts-check
/**
 * The admin API's answers as the console reads them: only the fields it uses are spelled out
 * (the full shapes are in the OpenAPI document at /docs, and in the server's dto/*.ts files).
 * Types only: modules import them in JSDoc, so the browser never loads this file.
 */

/** @typedef {'operator' | 'requester' | 'anonymous'} Role Which token the tab holds: operator (ADMIN_TOKEN), requester, or none that is accepted. */

/** @typedef {{path: string, message: string}} FieldProblem One invalid field: its path in the request (e.g. "endpoint.url") and what is wrong with it. */

/**
 * Every error answer. `code` and `fields` come with the structured error bodies; older servers
 * send only statusCode, error and message (a list of "path: problem" lines for a 400).
 * @typedef {object} ErrorBody
 * @property {number} statusCode
 * @property {string} error
 * @property {string | string[]} message
 * @property {string} [code]
 * @property {FieldProblem[]} [fields]
 */

/**
 * A subscription (GET /api/subscriptions, /api/subscriptions/:id). A requester reading another
 * team's gets view "summary": id, name, owner, kafka.topic, status, version and times only.
 * @typedef {object} Subscription
 * @property {'full' | 'summary'} view
 * @property {number} id
 * @property {string} name
 * @property {string | null} owner the requester team it belongs to; null: the operators'
 * @property {{topic: string} & Record<string, unknown>} kafka
 * @property {string} status running, stopped, …
 * @property {number} version
 * @property {string[] | null} [configErrors] why the stored row cannot run; null when valid
 */

/**
 * @typedef {object} CircuitState
 * @property {'closed' | 'open' | 'half_open'} state
 * @property {boolean} enabled
 * @property {number} openForMs how long it has been open now
 * @property {number} opens
 * @property {number} probes
 * @property {string | null} nextProbeAt ISO 8601
 * @property {string | null} holdUntil ISO 8601: a Retry-After holds every record until then
 */

/**
 * @typedef {object} DeliveryHealth An endpoint as one instance sees it.
 * @property {CircuitState} circuit
 * @property {number} inFlightLimit deliveries allowed at once now
 * @property {number} maxInFlight the ceiling (delivery.maxInFlight)
 * @property {boolean} adaptive
 */

/**
 * @typedef {object} SubscriptionCounters Records since each instance started, summed over live instances.
 * @property {number} consumed
 * @property {number} delivered
 * @property {number} filtered
 * @property {number} retried
 * @property {number} deadLettered
 */

/**
 * GET /api/subscriptions/:id/status.
 * @typedef {object} SubscriptionStatus
 * @property {number} id
 * @property {string} status
 * @property {Array<{instanceId: string, state: string, partitions: number[], endpoint?: DeliveryHealth}>} instances where it runs (from heartbeats)
 * @property {{mode: string, instances: string[], replicas: number | null, reason: string} | undefined} placement where it should run and why
 * @property {Array<{partition: number, committedOffset: number | null, highWatermark: number | null, lag: number | null}>} partitions
 * @property {SubscriptionCounters} counters
 */

/**
 * One step of GET /api/subscriptions/:id/metrics; rates are null where no instance sampled.
 * @typedef {object} MetricPoint
 * @property {string} time ISO 8601, start of the step
 * @property {number} seconds
 * @property {number | null} deliveredPerSecond
 * @property {number | null} errorsPerSecond retries plus dead letters per second
 * @property {number | null} errorRate 0 to 1: (retried + deadLettered) / (delivered + retried + deadLettered)
 * @property {number | null} p50Ms
 * @property {number | null} p99Ms
 * @property {number | null} lag
 */

/**
 * @typedef {object} SubscriptionMetrics
 * @property {string} window
 * @property {string} from ISO 8601
 * @property {string} to ISO 8601
 * @property {number} samplingIntervalMs
 * @property {number} stepMs
 * @property {MetricPoint[]} points oldest first
 */

/**
 * One consumer an instance reports in its heartbeat.
 * @typedef {object} RunningConsumer
 * @property {number} subscriptionId
 * @property {string} state
 * @property {number[]} partitions
 */

/**
 * GET /api/instances.
 * @typedef {object} Instance
 * @property {string} instanceId
 * @property {string} host
 * @property {string} version
 * @property {string} startedAt ISO 8601
 * @property {string} lastSeenAt ISO 8601
 * @property {boolean} live
 * @property {'live' | 'stopped' | 'dead'} [state]
 * @property {boolean} self the instance answering this request
 * @property {RunningConsumer[]} running
 */

/** @typedef {{field: string, concern: string}} ReviewFlag What an operator should look at before approving a ticket. */

/**
 * GET /api/tickets.
 * @typedef {object} Ticket
 * @property {number} id
 * @property {'pending' | 'approved' | 'rejected'} state
 * @property {string} requester
 * @property {string | null} team the requester token's team; null when an operator submitted it
 * @property {string} reason
 * @property {string} name
 * @property {{kafka?: {topic?: string}} & Record<string, unknown>} subscription the requested subscription, secrets masked
 * @property {number | null} subscriptionId set once approved
 * @property {string | null} decidedBy
 * @property {string | null} decidedAt ISO 8601
 * @property {string | null} rejectionReason
 * @property {ReviewFlag[] | null} review for operators, on pending tickets
 * @property {Record<string, unknown> | null} effective for operators, on pending tickets: the subscription approval creates
 */

/**
 * GET /api/dead-letters (large fields as excerpts) and /api/dead-letters/:id (whole).
 * @typedef {object} DeadLetter
 * @property {number} id
 * @property {number} subscriptionId
 * @property {number} partition
 * @property {number} offset
 * @property {string} reason
 * @property {number} attempts
 * @property {number | null} lastStatus
 * @property {string | null} lastError
 * @property {string | null} value
 * @property {'utf8' | 'base64'} valueEncoding
 * @property {number | null} valueBytes the value's size as it came from Kafka
 * @property {string | null} responseExcerpt
 * @property {string | null} transformedBody
 * @property {Record<string, number>} excerptedFields fields this answer shows only in part, with their full sizes
 * @property {string} state pending, redelivered or discarded
 * @property {string} createdAt ISO 8601
 * @property {string} updatedAt ISO 8601
 */

/**
 * A bulk re-delivery job (POST /api/dead-letters/redeliver-jobs and its follow-ups); counts are records.
 * @typedef {object} RedeliveryJob
 * @property {string} id
 * @property {'queued' | 'running' | 'done' | 'cancelled' | 'failed'} state
 * @property {number} limit
 * @property {number} total
 * @property {number} done
 * @property {number} succeeded
 * @property {number} failed
 * @property {number} discarded
 * @property {number} skipped
 * @property {boolean} more more were pending than `limit`
 * @property {boolean} cancelRequested
 * @property {string | null} error
 * @property {'redeliver' | 'discard'} [action] what it does (bulk jobs; older servers re-deliver only)
 * @property {Record<string, unknown> | null} [selection] what it takes: the filter's fields, {ids: n}, or null for every pending one of subscriptionId
 * @property {number | null} [subscriptionId] null when the selection spans subscriptions
 */

/**
 * GET /api/audit.
 * @typedef {object} AuditEntry
 * @property {number} id
 * @property {string} at ISO 8601
 * @property {string | null} actor the X-Kproxy-Actor name given at sign-in
 * @property {string} role
 * @property {string} remote
 * @property {string} instanceId
 * @property {string} action
 * @property {string} resourceType
 * @property {string | null} resourceId
 * @property {unknown} before
 * @property {unknown} after
 */

/**
 * The body of POST /api/subscriptions/:id/offsets/reset as the dialog builds it. Partition and
 * offset are numbers when the text reads as one, else the text itself, for the API to name.
 * @typedef {object} OffsetResetRequest
 * @property {string} to
 * @property {number} [timestamp] ms since the epoch
 * @property {Array<{partition: number | string, offset?: number | string}>} [offsets]
 * @property {boolean} restart
 */

/**
 * A page of a list that pages by headers (GET /api/subscriptions, GET /api/dead-letters).
 * @template T
 * @typedef {object} Page
 * @property {T[]} rows
 * @property {number | null} total how many match in all (X-Total-Count); null when the server did not say
 * @property {URLSearchParams | null} next the next page's query (Link rel="next"); null at the end
 */

/** @typedef {'no_value' | 'too_large' | 'not_json' | 'too_deep' | 'etl_error' | 'path_not_matched' | 'rejected' | 'retries_exhausted' | 'internal_error' | 'parked'} DeadLetterReason Why a record became a dead letter. */

/**
 * A bulk action's `filter` (the dead-letter list's filter, numbers as numbers; at least one of
 * subscriptionId, topic, reason, createdFrom, createdTo). Times are ISO 8601 with an offset.
 * @typedef {object} DeadLetterFilter
 * @property {number} [subscriptionId]
 * @property {string} [topic]
 * @property {'pending'} [state]
 * @property {DeadLetterReason} [reason]
 * @property {string} [createdFrom] inclusive
 * @property {string} [createdTo] exclusive
 */

/**
 * The body of POST /api/dead-letters/bulk-jobs: either ids (1-1000) or filter.
 * @typedef {object} BulkJobRequest
 * @property {'redeliver' | 'discard'} action
 * @property {number[]} [ids]
 * @property {DeadLetterFilter} [filter]
 * @property {number} [limit] at most this many records
 */

/** @typedef {Array<[string, string]>} HeaderPairs Request headers as [name, value] pairs, in the order sent; secret endpoint headers read "****". */

/**
 * One pasted record as POST /api/preview and /api/subscriptions/:id/preview take it: `value` as
 * text (usually JSON text), an optional `key`, and its Kafka headers in order.
 * @typedef {object} SampleRecord
 * @property {string} value
 * @property {string} [key]
 * @property {Array<{name: string, value?: string}>} [headers]
 */

/**
 * What to preview: pasted `records` or the topic's `lastRecords` (1-100), exactly one. A count
 * that does not read as a number is sent as typed, for the API to name.
 * @typedef {{records: SampleRecord[]} | {lastRecords: number | string}} PreviewSource
 */

/**
 * One record of a preview answer.
 * @typedef {object} PreviewedRecord
 * @property {number} partition
 * @property {number} offset
 * @property {number | null} timestamp ms since the epoch
 * @property {number | null} keyBytes
 * @property {number | null} valueBytes null: a tombstone
 * @property {boolean} kept whether it would be sent
 * @property {'deliver' | 'filtered' | 'dead_letter'} outcome
 * @property {string | null} reason the dead-letter reason (not_json, too_deep, …) when outcome is dead_letter
 * @property {string | null} problem why it would be dead-lettered
 * @property {string | null} body the request body as sent (batchSize 1) or this record's element of the array; null unless kept
 * @property {HeaderPairs | null} headers this record's request headers; null when batching or not kept
 */

/**
 * POST /api/preview and /api/subscriptions/:id/preview.
 * @typedef {object} PreviewAnswer
 * @property {'records' | 'topic'} source
 * @property {string} topic
 * @property {{method: string, url: string}} endpoint the URL with its credentials masked
 * @property {number} batchSize
 * @property {PreviewedRecord[]} records
 * @property {Array<{records: Array<{partition: number, offset: number}>, body: string, headers: HeaderPairs}>} batches batchSize > 1: the array requests the kept records make
 * @property {{partitions: Array<{partition: number, low: number, high: number, from: number}>, complete: boolean} | null} read where the topic was read; complete is false when the time or size bound cut it short
 */

/**
 * POST /api/subscriptions/:id/test-delivery: the verdict kproxy would reach on one attempt.
 * @typedef {object} TestDeliveryResult
 * @property {boolean} sent
 * @property {'success' | 'retry' | 'dead_letter' | 'filtered'} outcome
 * @property {string | null} reason the dead-letter reason (rejected, retries_exhausted)
 * @property {string | null} problem why it is not a success
 * @property {number | null} status HTTP status; null when no answer came
 * @property {string | null} errcode the value at errcodePath, as JSON text
 * @property {number | null} latencyMs
 * @property {string | null} responseExcerpt
 * @property {{method: string, url: string, body: string, headers: HeaderPairs} | null} request as sent, secrets masked
 */

export {};
