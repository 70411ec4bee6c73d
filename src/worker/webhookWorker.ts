import { setMaxListeners } from 'node:events'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { Agent, request } from 'undici'
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
  /** Groups being sent or recorded; `inFlight` counts the deliveries being sent (the slots in use). */
  private readonly groups = new Set<Promise<void>>()
  private inFlight = 0
  /**
   * Per endpoint, this worker's deliveries whose attempts are over and are being recorded: still
   * leased in the queue, but no longer in flight to the endpoint, so the next group can be leased
   * and sent while they are written down.
   */
  private readonly recording = new Map<string, number>()
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
      const sending = endpoint.in_flight - (this.recording.get(endpointKey(endpoint)) ?? 0)
      const room = Math.min(this.perEndpoint - sending, free - started)
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
    let slotsHeld = true
    const freeSlots = () => {
      if (!slotsHeld) return
      slotsHeld = false
      this.inFlight -= leased.length
      // Refill once half the slots are free, so leasing is paid per batch, not per delivery.
      if (this.inFlight <= this.concurrency / 2) this.loop.wake()
    }
    const group = this.sendGroup(leased, freeSlots).finally(() => {
      this.groups.delete(group)
      freeSlots()
    })
    this.groups.add(group)
  }

  /**
   * Builds the group's requests with one read per table, sends them concurrently, and records
   * every outcome in one transaction. The group's slots are freed (`attemptsOver`) once the
   * attempts are over, so the next group is sent while this one is recorded. If anything but a
   * send fails (the database), nothing is recorded: the leases expire and the deliveries are sent
   * again.
   */
  private async sendGroup(leased: WebhookDeliveryRow[], attemptsOver: () => void): Promise<void> {
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
      // The group's attempts start together, so one timer bounds each of them.
      const deadline = AbortSignal.timeout(this.timeoutMs)
      setMaxListeners(prepared.length + 1, deadline)
      const attempts = await Promise.all(
        prepared.map(async ({ delivery, url, body, failure }) => ({
          delivery,
          outcome: failure
            ? ({ ok: false, status: null, error: failure } as const)
            : await this.send(url, body, deadline),
        })),
      )
      const endpoint = endpointKey(leased[0] as WebhookDeliveryRow)
      this.recording.set(endpoint, (this.recording.get(endpoint) ?? 0) + leased.length)
      let results: Awaited<ReturnType<typeof recordAttempts>>
      try {
        attemptsOver()
        results = await recordAttempts(this.database, this.owner, attempts, this.retry)
      } finally {
        const left = (this.recording.get(endpoint) ?? 0) - leased.length
        if (left > 0) this.recording.set(endpoint, left)
        else this.recording.delete(endpoint)
      }
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

  /**
   * One signed POST. undici's `request`, not `fetch`: no WHATWG streams or request cloning, which
   * cost more CPU than the bookkeeping of a delivery. Redirects are not followed (a 3xx fails).
   */
  private async send(url: string, body: string, deadline: AbortSignal): Promise<AttemptOutcome> {
    const refusal = refusedLiteralTarget(url, this.targets)
    if (refusal) return { ok: false, status: null, error: refusal }
    const signature = (this.sign as (body: string) => string)(body)
    try {
      const response = await request(url, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Tagbase-Webhooks/1',
          [SIGNATURE_HEADER]: signature,
        },
        body,
        signal: deadline,
      })
      // Read (and drop) the answer within the same time limit, so the connection can be reused
      // (an answer over 128 KiB closes it instead).
      await response.body.dump({ limit: 131_072, signal: deadline })
      const status = response.statusCode
      if (status >= 200 && status < 300) return { ok: true, status }
      return { ok: false, status, error: `HTTP ${status}` }
    } catch (error) {
      return { ok: false, status: null, error: describeFailure(error, deadline) }
    }
  }
}

function endpointKey(endpoint: { location_id: string; webhook_id: string }): string {
  return `${endpoint.location_id}\u0000${endpoint.webhook_id}`
}

function describeFailure(error: unknown, deadline: AbortSignal): string {
  if (deadline.aborted) return 'timed out'
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    if (cause?.code) return `${error.message}: ${cause.code}`
    if (cause?.message) return `${error.message}: ${cause.message}`
    return error.message
  }
  return String(error)
}
