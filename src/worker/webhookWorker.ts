import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { Agent, fetch } from 'undici'
import {
  DEFAULT_WEBHOOK_RETRY_POLICY,
  WEBHOOK_WORKER_DEFAULTS,
  type WebhookRetryPolicy,
} from '../domain/webhooks.js'
import { webhookDeliveries } from '../services/metrics.js'
import type { SigningKeySource } from '../services/signingKeySecrets.js'
import {
  type AttemptOutcome,
  prepareDeliveries,
  recordAttempts,
  SIGNATURE_HEADER,
  type WebhookPayloadBuilder,
  webhookSigner,
} from '../services/webhookDelivery.js'
import {
  CLOSED_WEBHOOK_TARGETS,
  guardedLookup,
  refusedLiteralTarget,
  type WebhookTargetPolicy,
} from '../services/webhookTargets.js'
import type { Database } from '../store/database.js'
import { type Lease, leaseFromDatabaseClock } from '../store/leases.js'
import {
  claimDueDeliveries,
  pruneDeliveredBefore,
  refreshDeliveryStatistics,
  releaseDeliveryLease,
  selectEndpointsWithDueDeliveries,
  type WebhookDeliveryRow,
} from '../store/webhookDeliveries.js'
import { PollingLoop } from './pollingLoop.js'

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
  /** Internal targets are refused unless allowed (WEBHOOK_ALLOW_INTERNAL_TARGETS). */
  targets?: WebhookTargetPolicy
  /** Words each delivery's payload (the dialect's wire shape; HighLevel's ContactTagUpdate). */
  payload: WebhookPayloadBuilder
  /** Where the signing key comes from (a file, or the database encrypted); the database's plain copy by default. */
  signingKey?: SigningKeySource
}

const silentLogger = { info() {}, warn() {}, error() {} }

const PRUNE_INTERVAL_MS = 600_000
const PRUNE_BATCH = 5000
/** While there is work, the queue's planner statistics are refreshed at most this often. */
const STATISTICS_INTERVAL_MS = 60_000

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
  /** Groups being sent, and how many deliveries they hold (the slots in use). */
  private readonly groups = new Set<Promise<void>>()
  private inFlight = 0
  private readonly retentionMs: number
  private nextPruneAt = 0
  private nextStatisticsAt = 0
  private sign: ((body: string) => string) | undefined
  private readonly loop: PollingLoop
  private readonly targets: WebhookTargetPolicy
  private readonly signingKey: SigningKeySource | undefined
  private readonly payloadFor: WebhookPayloadBuilder
  /** Connects only to addresses the target policy allows, checked after DNS resolution. */
  private dispatcher: Agent

  constructor(
    private readonly database: Database,
    options: WebhookWorkerOptions,
  ) {
    this.owner =
      options.owner ?? `${hostname()}:${process.pid}:webhooks:${Math.random().toString(36).slice(2, 8)}`
    this.concurrency = options.concurrency ?? WEBHOOK_WORKER_DEFAULTS.concurrency
    this.perEndpoint = options.perEndpoint ?? WEBHOOK_WORKER_DEFAULTS.perEndpoint
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_WORKER_DEFAULTS.timeoutMs
    // Long enough for the attempt and its bookkeeping; a crashed worker's deliveries wait this long.
    this.leaseMs = this.timeoutMs + 10_000
    this.retry = { ...DEFAULT_WEBHOOK_RETRY_POLICY, ...options.retry }
    this.retentionMs = options.retentionMs ?? WEBHOOK_WORKER_DEFAULTS.retentionDays * 86_400_000
    this.logger = options.logger ?? silentLogger
    this.targets = options.targets ?? CLOSED_WEBHOOK_TARGETS
    this.signingKey = options.signingKey
    this.payloadFor = options.payload
    this.dispatcher = new Agent({ connect: { lookup: guardedLookup(this.targets) } })
    this.loop = new PollingLoop(
      options.pollMs ?? 500,
      async () => {
        await this.pruneWhenDue()
        return (await this.dispatchDue()) > 0
      },
      (error) => this.logger.error({ err: error, owner: this.owner }, 'webhook worker iteration failed'),
      async () => {
        await this.drain()
        await this.dispatcher.close()
      },
    )
  }

  start(): void {
    if (this.dispatcher.closed)
      this.dispatcher = new Agent({ connect: { lookup: guardedLookup(this.targets) } })
    this.loop.start()
  }

  /** Stops leasing, lets attempts in flight finish and be recorded, then returns. */
  stop(): Promise<void> {
    return this.loop.stop()
  }

  wake(): void {
    this.loop.wake()
  }

  /**
   * Leases what is due, endpoint by endpoint, up to the free slots, and starts sending it;
   * returns how many started. Each endpoint's leased group is read and built in one go.
   */
  async dispatchDue(): Promise<number> {
    const free = this.concurrency - this.inFlight
    if (free <= 0) return 0
    this.sign ??= await webhookSigner(this.database, this.signingKey)
    let started = 0
    const lease = await this.lease()
    const endpoints = await selectEndpointsWithDueDeliveries(this.database, lease.now, free)
    if (endpoints.length > 0 && Date.now() >= this.nextStatisticsAt) {
      this.nextStatisticsAt = Date.now() + STATISTICS_INTERVAL_MS
      await refreshDeliveryStatistics(this.database)
    }
    for (const endpoint of endpoints) {
      const room = Math.min(this.perEndpoint - endpoint.in_flight, free - started)
      if (room <= 0) continue
      const leased = await claimDueDeliveries(this.database, endpoint, lease, room)
      if (leased.length === 0) continue
      this.startGroup(leased)
      started += leased.length
      if (started >= free) break
    }
    return started
  }

  private startGroup(leased: WebhookDeliveryRow[]): void {
    this.inFlight += leased.length
    const group = this.sendGroup(leased).finally(() => {
      this.groups.delete(group)
      this.inFlight -= leased.length
      // Refill once half the slots are free, so leasing is paid per batch, not per delivery.
      if (this.inFlight <= this.concurrency / 2) this.loop.wake()
    })
    this.groups.add(group)
  }

  /**
   * Builds the group's requests with one read per table, sends them concurrently, and records
   * every outcome in one transaction. If anything but a send fails (the database), nothing is
   * recorded: the leases expire and the deliveries are sent again.
   */
  private async sendGroup(leased: WebhookDeliveryRow[]): Promise<void> {
    try {
      if (this.loop.stopping) {
        for (const delivery of leased) await releaseDeliveryLease(this.database, delivery, this.owner)
        return
      }
      // Deliveries whose webhook was removed (they went with it) or whose event is gone are skipped.
      const prepared = await prepareDeliveries(
        this.database,
        leased,
        new Date().toISOString(),
        this.payloadFor,
      )
      const attempts = await Promise.all(
        prepared.map(async ({ delivery, url, body, failure }) => ({
          delivery,
          outcome: failure
            ? ({ ok: false, status: null, error: failure } as const)
            : await this.send(url, body),
        })),
      )
      const results = await recordAttempts(this.database, this.owner, attempts, this.retry)
      for (const result of results) webhookDeliveries.inc({ result })
      attempts.forEach(({ delivery, outcome }, i) => {
        if (!outcome.ok)
          this.logger.warn(
            {
              webhookId: delivery.webhook_id,
              eventId: delivery.event_id,
              attempt: delivery.attempts,
              status: outcome.status,
              error: outcome.error,
              next: results[i],
            },
            'webhook delivery failed',
          )
      })
    } catch (error) {
      this.logger.error(
        { err: error, webhookId: leased[0]?.webhook_id },
        'webhook delivery bookkeeping failed',
      )
    }
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
    while (this.groups.size > 0) await Promise.all([...this.groups])
  }

  /** Taken from the database's clock, so hosts with skewed clocks cannot steal each other's leases. */
  private lease(): Promise<Lease> {
    return leaseFromDatabaseClock(this.database, this.owner, this.leaseMs)
  }

  private async send(url: string, body: string): Promise<AttemptOutcome> {
    const refusal = refusedLiteralTarget(url, this.targets)
    if (refusal) return { ok: false, status: null, error: refusal }
    const signature = (this.sign as (body: string) => string)(body)
    try {
      const response = await fetch(url, {
        dispatcher: this.dispatcher,
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
