import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { DEFAULT_WEBHOOK_RETRY_POLICY, type WebhookRetryPolicy } from '../domain/webhooks.js'
import {
  type AttemptOutcome,
  prepareDelivery,
  recordAttempt,
  SIGNATURE_HEADER,
  webhookSigner,
} from '../services/webhookDelivery.js'
import type { Database } from '../store/database.js'
import {
  type DeliveryLease,
  leaseDueDeliveries,
  pruneDeliveredBefore,
  releaseDelivery,
  selectEndpointsWithDueDeliveries,
  type WebhookDeliveryRow,
} from '../store/webhookDeliveries.js'
import { leaseFrom, PollingLoop } from './pollingLoop.js'

export type WebhookWorkerOptions = {
  /** Lock owner written on leased deliveries; unique per worker. */
  owner?: string
  /** Deliveries in flight at once in this worker. */
  concurrency?: number
  /** Deliveries in flight at once to one endpoint, across every worker. */
  perEndpoint?: number
  /** An attempt that has not answered within this is a failure. */
  timeoutMs?: number
  /** Idle wait between looks for due deliveries. */
  pollMs?: number
  retry?: Partial<WebhookRetryPolicy>
  /** Successful deliveries are kept this long (for health reporting), then deleted. */
  retentionMs?: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
}

const silentLogger = { info() {}, warn() {}, error() {} }
const PRUNE_INTERVAL_MS = 600_000
const PRUNE_BATCH = 5000

/**
 * Sends queued webhook deliveries: signed, at least once, in event order per contact and
 * endpoint. Any number of workers share the queue on PostgreSQL (leases with SKIP LOCKED); a
 * delivery whose worker died is retried when its lease expires. A slow or failing endpoint holds
 * at most `perEndpoint` deliveries at a time and is paused between failures, so other endpoints
 * (other locations) keep flowing, and the API never waits on any of this.
 */
export class WebhookDeliveryWorker {
  readonly owner: string
  private readonly concurrency: number
  private readonly perEndpoint: number
  private readonly timeoutMs: number
  private readonly leaseMs: number
  private readonly retry: WebhookRetryPolicy
  private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>
  private readonly inFlight = new Set<Promise<void>>()
  private readonly retentionMs: number
  private nextPruneAt = 0
  private sign: ((body: string) => string) | undefined
  private readonly loop: PollingLoop

  constructor(
    private readonly database: Database,
    options: WebhookWorkerOptions = {},
  ) {
    this.owner =
      options.owner ?? `${hostname()}:${process.pid}:webhooks:${Math.random().toString(36).slice(2, 8)}`
    this.concurrency = options.concurrency ?? 16
    this.perEndpoint = options.perEndpoint ?? 4
    this.timeoutMs = options.timeoutMs ?? 10_000
    // Long enough for the attempt and its bookkeeping; a crashed worker's deliveries wait this long.
    this.leaseMs = this.timeoutMs + 10_000
    this.retry = { ...DEFAULT_WEBHOOK_RETRY_POLICY, ...options.retry }
    this.retentionMs = options.retentionMs ?? 7 * 86_400_000
    this.logger = options.logger ?? silentLogger
    this.loop = new PollingLoop(
      options.pollMs ?? 500,
      async () => {
        await this.pruneWhenDue()
        return (await this.dispatchDue()) > 0
      },
      (error) => this.logger.error({ err: error, owner: this.owner }, 'webhook worker iteration failed'),
      () => this.drain(),
    )
  }

  start(): void {
    this.loop.start()
  }

  /** Stops leasing, lets attempts in flight finish and be recorded, then returns. */
  stop(): Promise<void> {
    return this.loop.stop()
  }

  wake(): void {
    this.loop.wake()
  }

  /** Leases what is due (up to the free slots) and starts sending it; returns how many started. */
  async dispatchDue(): Promise<number> {
    const free = this.concurrency - this.inFlight.size
    if (free <= 0) return 0
    this.sign ??= await webhookSigner(this.database)
    const leased = await this.leaseDue(free)
    for (const delivery of leased) {
      const attempt = this.attempt(delivery).finally(() => {
        this.inFlight.delete(attempt)
        this.loop.wake()
      })
      this.inFlight.add(attempt)
    }
    return leased.length
  }

  /** Every 10 minutes: deletes successful deliveries older than the retention, in bounded batches. */
  private async pruneWhenDue(): Promise<void> {
    const now = Date.now()
    if (now < this.nextPruneAt) return
    this.nextPruneAt = now + PRUNE_INTERVAL_MS
    const before = new Date(now - this.retentionMs).toISOString()
    let pruned = 0
    for (let batch = 0; batch < 20; batch++) {
      const deleted = await pruneDeliveredBefore(this.database, before, PRUNE_BATCH)
      pruned += deleted
      if (deleted < PRUNE_BATCH) break
    }
    if (pruned > 0) this.logger.info({ pruned, before }, 'old webhook deliveries pruned')
  }

  /** Resolves when every attempt started so far has been recorded. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight])
  }

  private lease(): DeliveryLease {
    return leaseFrom(this.owner, this.leaseMs)
  }

  private async leaseDue(free: number): Promise<WebhookDeliveryRow[]> {
    const leased: WebhookDeliveryRow[] = []
    const endpoints = await selectEndpointsWithDueDeliveries(this.database, new Date().toISOString(), free)
    for (const endpoint of endpoints) {
      const room = Math.min(this.perEndpoint - endpoint.in_flight, free - leased.length)
      if (room <= 0) continue
      const rows = await this.database.transaction((tx) =>
        leaseDueDeliveries(tx, endpoint, this.lease(), room),
      )
      leased.push(...rows)
      if (leased.length >= free) break
    }
    return leased
  }

  private async attempt(delivery: WebhookDeliveryRow): Promise<void> {
    try {
      if (this.loop.stopping) {
        await releaseDelivery(this.database, delivery, this.owner)
        return
      }
      const prepared = await prepareDelivery(this.database, delivery, new Date().toISOString())
      // The webhook was removed (its deliveries went with it) or the event is gone: nothing to send.
      if (!prepared) return
      const outcome = await this.send(prepared.url, prepared.body)
      const recorded = await recordAttempt(this.database, delivery, this.owner, outcome, this.retry)
      if (!outcome.ok)
        this.logger.warn(
          {
            webhookId: delivery.webhook_id,
            eventId: delivery.event_id,
            attempt: delivery.attempts,
            status: outcome.status,
            error: outcome.error,
            next: recorded,
          },
          'webhook delivery failed',
        )
    } catch (error) {
      // Bookkeeping failed (database unreachable): the lease expires and the delivery is retried.
      this.logger.error({ err: error, webhookId: delivery.webhook_id }, 'webhook delivery bookkeeping failed')
    }
  }

  private async send(url: string, body: string): Promise<AttemptOutcome> {
    const signature = (this.sign as (body: string) => string)(body)
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tagbase-Webhooks/1',
          [SIGNATURE_HEADER]: signature,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      })
      // Read (and drop) the answer within the same time limit, so the connection can be reused.
      await response.arrayBuffer()
      if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status }
      return { ok: false, status: response.status, error: `HTTP ${response.status}` }
    } catch (error) {
      return { ok: false, status: null, error: describeFailure(error) }
    }
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out'
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    if (cause?.code) return `${error.message}: ${cause.code}`
    if (cause?.message) return `${error.message}: ${cause.message}`
    return error.message
  }
  return String(error)
}
