/**
 * The `code` of every error body the API answers, `{statusCode, error, message, code, fields?}`:
 * stable, machine-readable, and specific wherever a client would act differently. The HTTP
 * status of each is decided in one place, DomainExceptionFilter; README.md ("Error codes")
 * lists them with their statuses and what a client should do. Codes are only ever added: a
 * client must treat an unknown code by its status.
 *
 * The generic codes (INVALID_INPUT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, UNSUPPORTED_MEDIA_TYPE,
 * INTERNAL_ERROR) are also what errors raised by the framework itself (routing, reading the
 * body) get, by their status.
 */
export enum DomainErrorCode {
  // 400
  /** A request the proxy could not read, with no more specific code (e.g. a path with broken percent-encoding). */
  InvalidInput = 'INVALID_INPUT',
  /** The body, query or a path parameter breaks the schema; `fields` names every bad field. */
  ValidationFailed = 'VALIDATION_FAILED',
  /** The body is not JSON, its top level is not an object or array, or it holds a lone UTF-16 surrogate. */
  InvalidJson = 'INVALID_JSON',
  /** The body is over the request body limit (1 MB). Answered 400, as since the limit came. */
  BodyTooLarge = 'BODY_TOO_LARGE',
  /** The body nests arrays and objects deeper than the API reads (MAX_BODY_DEPTH). */
  BodyTooDeep = 'BODY_TOO_DEEP',
  /** The If-Match header is neither `*` nor a list of entity tags (RFC 9110 §13.1.1). */
  InvalidIfMatch = 'INVALID_IF_MATCH',
  /** The X-Kproxy-Actor header is not 1-128 printable characters. */
  InvalidActorHeader = 'INVALID_ACTOR_HEADER',
  /** endpoint.url or alerts.webhookUrl points at a link-local or metadata address, or off ENDPOINT_ALLOWED_HOSTS; `fields` names it. */
  DestinationNotAllowed = 'DESTINATION_NOT_ALLOWED',
  /** A secret field holds the mask (`****`) where no stored secret may be kept, or copied ciphertext; `fields` names it. */
  SecretNotSent = 'SECRET_NOT_SENT',
  /** A requester's ticket names an `owner` other than its own team; `fields` names it. */
  OwnerNotYourTeam = 'OWNER_NOT_YOUR_TEAM',
  /** The subscription a ticket requests is over MAX_TICKET_SPEC_BYTES of JSON. */
  TicketTooLarge = 'TICKET_TOO_LARGE',
  /** A ticket being approved holds a request the current rules refuse; `fields` names what. */
  TicketSpecInvalid = 'TICKET_SPEC_INVALID',

  // 401
  /** No valid token: the Authorization header is missing, malformed, or names no token. */
  Unauthenticated = 'UNAUTHENTICATED',

  // 403
  /** The token may not do this: a requester token on a route for the operator token. */
  Forbidden = 'FORBIDDEN',
  /** A requester asked for the status of a subscription that is not its team's. */
  OtherTeamsSubscription = 'OTHER_TEAMS_SUBSCRIPTION',
  /** A requester asked to preview the last records of a topic on brokers no subscription uses; `fields` names kafka.brokers. */
  PreviewBrokersUnknown = 'PREVIEW_BROKERS_UNKNOWN',
  /**
   * A requester asked to preview the last records of a topic PREVIEW_REQUESTER_TOPICS keeps from
   * it (another team's or the operators' subscription consumes it); `fields` names kafka.topic.
   */
  PreviewTopicNotAllowed = 'PREVIEW_TOPIC_NOT_ALLOWED',
  /** A browser write from another web origin (Origin, Sec-Fetch-Site). */
  CrossOriginWrite = 'CROSS_ORIGIN_WRITE',
  /** An open admin API (no ADMIN_TOKEN) asked under a Host that is not loopback (DNS rebinding guard). */
  HostNotLoopback = 'HOST_NOT_LOOPBACK',

  // 404
  /** No route (or console file) at this method and path. */
  NotFound = 'NOT_FOUND',
  /** No subscription with this id (never created, or deleted). */
  SubscriptionNotFound = 'SUBSCRIPTION_NOT_FOUND',
  /** No ticket with this id that this token may see. */
  TicketNotFound = 'TICKET_NOT_FOUND',
  /** No dead letter with this id. */
  DeadLetterNotFound = 'DEAD_LETTER_NOT_FOUND',
  /** This instance has no re-delivery job with this id (jobs live in the memory of the instance that started them). */
  RedeliveryJobNotFound = 'REDELIVERY_JOB_NOT_FOUND',

  // 409
  /** Another subscription already has this name. */
  SubscriptionNameTaken = 'SUBSCRIPTION_NAME_TAKEN',
  /** The consumer group belongs to another subscription on the same Kafka cluster; `fields` names kafka.groupId. */
  GroupInUse = 'GROUP_IN_USE',
  /** A requester's ticket joins a rate group with members of other owners; `fields` names endpoint.rateGroup. */
  RateGroupInUse = 'RATE_GROUP_IN_USE',
  /** A PATCH without If-Match met a new version of the subscription every time it was merged. */
  ConcurrentUpdate = 'CONCURRENT_UPDATE',
  /** The stored config of the subscription cannot run (a row written with SQL, a rule that changed). */
  SubscriptionConfigInvalid = 'SUBSCRIPTION_CONFIG_INVALID',
  /** Stored secrets of a ticket's request are sealed with a key this proxy does not have. */
  SecretsUnreadable = 'SECRETS_UNREADABLE',
  /** The ticket was already approved or rejected. */
  TicketAlreadyDecided = 'TICKET_ALREADY_DECIDED',
  /** The dead letter is no longer pending, or another request is re-delivering or discarding it. */
  DeadLetterNotPending = 'DEAD_LETTER_NOT_PENDING',
  /** An earlier dead letter with the same key failed again or is busy, and delivery.keyParking keeps the key's order. */
  KeyOrderBlocked = 'KEY_ORDER_BLOCKED',
  /** The dead letters' subscription no longer exists, so they cannot be re-delivered. */
  SubscriptionDeleted = 'SUBSCRIPTION_DELETED',
  /** The subscription already has a re-delivery job running on this instance. */
  RedeliveryJobRunning = 'REDELIVERY_JOB_RUNNING',
  /** Another offset reset of this subscription is running. */
  OffsetResetRunning = 'OFFSET_RESET_RUNNING',
  /** The subscription's topic does not exist on its brokers. */
  TopicNotFound = 'TOPIC_NOT_FOUND',
  /** The proxy could not connect to the subscription's Kafka cluster for an offset reset or a preview of its last records. */
  KafkaConnectFailed = 'KAFKA_CONNECT_FAILED',
  /** An explicit reset offset names a partition the topic lacks or an offset outside its retained range. */
  OffsetOutOfRange = 'OFFSET_OUT_OF_RANGE',
  /** An instance still ran the subscription after RESET_WAIT_TIMEOUT_MS of an offset reset. */
  SubscriptionStillRunning = 'SUBSCRIPTION_STILL_RUNNING',
  /** The group coordinator did not take the new offsets (e.g. a consumer outside kproxy is in the group). */
  OffsetsNotCommitted = 'OFFSETS_NOT_COMMITTED',

  // 412
  /** If-Match names a version of the subscription that is no longer current (RFC 9110 §13.1.1). */
  VersionMismatch = 'VERSION_MISMATCH',

  // 415
  /** The body's charset or content encoding is one the proxy does not read. */
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',

  // 422
  /** The dead letter's key, headers or value were stored shortened, so it cannot be sent as it came. */
  RecordNotKept = 'RECORD_NOT_KEPT',
  /** The record cannot become a request under the subscription's current config (ETL error, too large, no value). */
  RecordUnprocessable = 'RECORD_UNPROCESSABLE',

  // 429 (each with Retry-After)
  /** Too many failed authentications from this client address. */
  RateLimited = 'RATE_LIMITED',
  /** The instance has as much of this work running and queued as it allows (status queries, re-delivery jobs, a team's submissions). */
  Busy = 'BUSY',
  /** The team is at its pending (TICKET_PENDING_LIMIT) or daily (TICKET_DAILY_LIMIT) ticket quota. */
  TicketQuotaExceeded = 'TICKET_QUOTA_EXCEEDED',

  // 500
  /** Something failed inside the proxy (the database, a bug); the proxy log has the details. */
  InternalError = 'INTERNAL_ERROR',
}
