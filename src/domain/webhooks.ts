import { createHash } from 'node:crypto'
import type { TagChange } from './tags.js'

/** Lifecycle of one webhook delivery. `dead` is parked until re-driven; `delivered` never changes. */
export const WEBHOOK_DELIVERY_STATES = Object.freeze({
  pending: 'pending',
  delivering: 'delivering',
  delivered: 'delivered',
  dead: 'dead',
} as const)

export type WebhookDeliveryState = (typeof WEBHOOK_DELIVERY_STATES)[keyof typeof WEBHOOK_DELIVERY_STATES]

export type WebhookRetryPolicy = {
  /** Tries per delivery before it is parked as dead. */
  maxAttempts: number
  /** Wait after the first failure; doubles with each further failure. */
  baseDelayMs: number
  /** Upper bound of any single wait. */
  maxDelayMs: number
}

export const DEFAULT_WEBHOOK_RETRY_POLICY: WebhookRetryPolicy = Object.freeze({
  maxAttempts: 10,
  baseDelayMs: 10_000,
  maxDelayMs: 3_600_000,
})

/**
 * Exponential backoff with "equal jitter": half the capped exponential wait, plus a random
 * share of the other half, so retries of many deliveries that failed together spread out.
 */
export function retryDelayMs(failures: number, policy: WebhookRetryPolicy, random = Math.random()): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failures - 1))
  return Math.round(exponential / 2 + (exponential / 2) * random)
}

/** http(s) URLs with a host; anything else is refused at registration. */
export function isWebhookUrl(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0
  } catch {
    return false
  }
}

/** HighLevel app ids are the part of a client id before its first dash. */
export function isWebhookAppId(value: string): boolean {
  return /^[A-Za-z0-9_]{1,64}$/.test(value)
}

/**
 * The `webhookId` of a delivery: the same for every retry of one event to one webhook (receivers
 * deduplicate on it), different for every other pair. UUID-shaped, derived by hashing.
 */
export function deliveryWebhookId(webhookId: string, eventId: number): string {
  const hex = createHash('sha256').update(`${webhookId}:${eventId}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * The contact's tags right after an event, from its tags now and the changes logged after that
 * event (newest first): each later change is reverted. Sorted by name, as contacts show them.
 */
export function tagsAfterEvent(
  currentTags: readonly string[],
  laterChangesNewestFirst: readonly TagChange[],
): string[] {
  const tags = new Set(currentTags)
  for (const change of laterChangesNewestFirst) {
    for (const added of change.tagsAdded) tags.delete(added)
    for (const removed of change.tagsRemoved) tags.add(removed)
  }
  return [...tags].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** What a webhook delivery worker does when configured with nothing. */
export const WEBHOOK_WORKER_DEFAULTS = Object.freeze({
  concurrency: 16,
  perEndpoint: 4,
  timeoutMs: 10_000,
  retentionDays: 7,
})

/**
 * How a worker sends to an endpoint it holds: in waves (as many requests as the endpoint's
 * concurrency allows, sent together), up to `perLease` waves per lease so the queue is read once
 * per lease, their outcomes recorded every `perRecord` waves while the next ones are sent, and up
 * to `leasesPerTurn` leases (each claimed while the one before is sent) before the endpoint goes
 * back among the others (when another endpoint is due; one alone keeps sending).
 */
export const WEBHOOK_WAVES = Object.freeze({ perLease: 32, perRecord: 8, leasesPerTurn: 4 })

/**
 * The most deliveries a worker that dies can have sent without recording them (they are sent
 * again once its lease expires): the wave in flight, the waves waiting to be recorded and those
 * being recorded.
 */
export function unrecordedSendsAtMost(perEndpoint: number): number {
  return (2 * WEBHOOK_WAVES.perRecord + 1) * perEndpoint
}

/**
 * Where the webhook signing key comes from, besides the database's plain copy:
 * - `pem`: supplied by the operator (WEBHOOK_SIGNING_KEY_FILE or WEBHOOK_SIGNING_KEY); nothing
 *   secret is stored in the database then.
 * - `encryptionKey`: the database copy is kept encrypted (AES-256-GCM) with a key derived from
 *   this secret (SECRETS_KEY); a plain copy found is encrypted in place on first use.
 */
export type SigningKeySource = { pem?: string | undefined; encryptionKey?: string | undefined }

/**
 * The contact events a webhook can receive. Every webhook gets ContactTagUpdate; ContactCreate
 * and ContactDelete only when its registration asks for them (receivers written for tag updates
 * alone are not sent types they do not expect).
 */
export const WEBHOOK_EVENT_TYPES = Object.freeze([
  'ContactTagUpdate',
  'ContactCreate',
  'ContactDelete',
] as const)
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
export type ContactLifecycleEvent = Exclude<WebhookEventType, 'ContactTagUpdate'>

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value)
}

/** The types a registration receives, in canonical order, ContactTagUpdate always among them. */
export function subscribedEventTypes(requested: readonly WebhookEventType[] = []): WebhookEventType[] {
  const wanted = new Set<WebhookEventType>(['ContactTagUpdate', ...requested])
  return WEBHOOK_EVENT_TYPES.filter((t) => wanted.has(t))
}
