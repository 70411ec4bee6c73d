/**
 * Retry-After on a 503 caused by the database: the connect and statement limits bound how long
 * an outage takes to notice, and a client that waits this long finds a recovered database answering.
 */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5
