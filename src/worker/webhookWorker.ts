import { setMaxListeners } from 'node:events'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { Agent, request } from 'undici'
import {
  DEFAULT_WEBHOOK_RETRY_POLICY,
  WEBHOOK_WAVES,
  WEBHOOK_WORKER_DEFAULTS,
  type WebhookRetryPolicy,
} from '../domain/webhooks.js'
import { webhookDeliveries } from '../services/metrics.js'
import type { SigningKeySource } from '../services/signingKeySecrets.js'
import {
  type AttemptOutcome,
  type PreparedDelivery,
  prepareDeliveries,
  recordAttempts,
  SIGNATURE_HEADER,
  type WebhookPayloadBuilder,
  type WebhookSigner,
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
  releaseDeliveryLeases,
  releaseEndpoint,
  selectEndpointsWithDueDeliveries,
  takeEndpoint,
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
/** What a lease leaves, after its last wave's attempts, for recording their outcomes. */
const RECORDING_MARGIN_MS = 10_000

/**
 * Sends queued webhook deliveries: signed, at least once, in event order per contact and
 * endpoint. Any number of workers share the queue on PostgreSQL (leases with SKIP LOCKED); one
 * worker at a time holds an endpoint (takeEndpoint), so its `perEndpoint` requests in flight are
 * counted by that worker alone. A delivery whose worker died is retried when its lease expires.
 * A slow or failing endpoint is paused between failures, so other endpoints (other locations)
 * keep flowing, and the API never waits on any of this.
 */
export class WebhookDeliveryWorker {
  readonly owner: string
  private readonly concurrency: number
  private readonly perEndpoint: number
  private readonly timeoutMs: number
  private readonly leaseMs: number
  private readonly retry: WebhookRetryPolicy
  private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>
  /** Groups being sent or recorded. */
  private readonly groups = new Set<Promise<void>>()
  /**
   * The endpoints' turns under way, from their first lease until their last outcome is recorded;
   * a turn still sending holds its lanes (slots of this worker's concurrency and of the
   * endpoint's). An endpoint this worker holds (takeEndpoint) is given up when its last turn ends,
   * under the lease of its latest take (`holds`; a release under an earlier one no longer
   * matches), unless a take of it is under way (`taking`).
   */
  private readonly turns = new Set<Turn>()
  private readonly holds = new Map<string, Lease>()
  private readonly taking = new Set<string>()
  private readonly retentionMs: number
  private nextPruneAt = 0
  private nextStatisticsAt = 0
  private sign: WebhookSigner | undefined
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
    // Two waves that time out, and the recording; a crashed worker's deliveries wait this long.
    this.leaseMs = 2 * this.timeoutMs + RECORDING_MARGIN_MS
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
   * returns how many slots it took. Each endpoint's lease is read and built in one go.
   */
  async dispatchDue(): Promise<number> {
    const free = this.concurrency - this.inFlight
    if (free <= 0) return 0
    this.sign ??= await webhookSigner(this.database, this.signingKey)
    let started = 0
    const lease = await this.lease()
    const endpoints = await selectEndpointsWithDueDeliveries(this.database, lease, free)
    if (endpoints.length > 0 && Date.now() >= this.nextStatisticsAt) {
      this.nextStatisticsAt = Date.now() + STATISTICS_INTERVAL_MS
      await refreshDeliveryStatistics(this.database)
    }
    for (const endpoint of endpoints) {
      const key = endpointKey(endpoint)
      const lanes = Math.min(this.perEndpoint - this.lanesSending(key), free - started)
      if (lanes <= 0) continue
      const leased = await this.takeAndClaim(endpoint, key, lease, lanes)
      if (!leased) continue
      if (leased.length === 0) {
        if (!this.hasTurn(key)) await this.giveUp(endpoint, key)
        continue
      }
      const used = Math.min(lanes, leased.length)
      this.startGroup(key, leased, used)
      started += used
      if (started >= free) break
    }
    return started
  }

  /**
   * Takes the endpoint and claims up to a lease of its deliveries (undefined: another worker holds
   * it). Meanwhile the endpoint counts as being taken, so a turn of it ending now does not give it
   * up under the lease just taken.
   */
  private async takeAndClaim(
    endpoint: { location_id: string; webhook_id: string },
    key: string,
    lease: Lease,
    lanes: number,
  ): Promise<WebhookDeliveryRow[] | undefined> {
    this.taking.add(key)
    try {
      if (!(await takeEndpoint(this.database, endpoint, lease))) return undefined
      this.holds.set(key, lease)
      return await claimDueDeliveries(this.database, endpoint, lease, lanes * WEBHOOK_WAVES.perLease)
    } finally {
      this.taking.delete(key)
    }
  }

  /** Requests in flight: this worker's slots in use, of one endpoint's turns or of all. */
  private lanesSending(key?: string): number {
    let lanes = 0
    for (const turn of this.turns)
      if (turn.sending && (key === undefined || turn.key === key)) lanes += turn.lanes
    return lanes
  }

  private hasTurn(key: string): boolean {
    for (const turn of this.turns) if (turn.key === key) return true
    return false
  }

  private get inFlight(): number {
    return this.lanesSending()
  }

  private startGroup(endpoint: string, leased: WebhookDeliveryRow[], lanes: number): void {
    const turn: Turn = { endpoint: leased[0] as WebhookDeliveryRow, key: endpoint, lanes, sending: true }
    this.turns.add(turn)
    const freeSlots = () => {
      if (!turn.sending) return
      turn.sending = false
      // Refill once half the slots are free, so leasing is paid per batch, not per delivery.
      if (this.inFlight <= this.concurrency / 2) this.loop.wake()
    }
    const settle = async () => {
      freeSlots()
      this.turns.delete(turn)
      if (!this.hasTurn(endpoint) && !this.taking.has(endpoint)) await this.giveUp(turn.endpoint, endpoint)
    }
    const group = this.sendTurn(turn, leased, freeSlots)
      .finally(settle)
      .finally(() => this.groups.delete(group))
    this.groups.add(group)
  }

  /** Gives an endpoint up for other workers; if that fails, it is free when the lease expires. */
  private async giveUp(endpoint: { location_id: string; webhook_id: string }, key: string): Promise<void> {
    const lease = this.holds.get(key)
    if (!lease) return
    this.holds.delete(key)
    try {
      await releaseEndpoint(this.database, endpoint, lease)
    } catch (error) {
      this.logger.warn({ err: error, webhookId: endpoint.webhook_id }, 'webhook endpoint release failed')
    }
  }

  /**
   * An endpoint's turn: its leases, one after another, each built with one read per table and sent
   * in waves of `lanes` (sendInWaves), recording the outcomes as it goes. While a full lease is
   * sent the next one is claimed and built, so the queue's statements overlap the requests; after
   * `WEBHOOK_WAVES.leasesPerTurn` leases the endpoint goes back among the others, if any is due.
   * The slots are freed (`attemptsOver`) once the last attempts are over, so other leases are sent
   * while the last outcomes are recorded. What was not sent (a wave failed: the endpoint is
   * paused; shutdown; a lease's time ran short) goes back untried. If anything but a send fails
   * (the database), what is unrecorded stays leased: the leases expire and those deliveries are
   * sent again.
   */
  private async sendTurn(
    turn: Turn,
    firstLeased: WebhookDeliveryRow[],
    attemptsOver: () => void,
  ): Promise<void> {
    const { endpoint } = turn
    let recording: Promise<void> | undefined
    try {
      let current: PreparedLease | undefined = await this.prepareLease(firstLeased, performance.now())
      for (let leases = 1; current; leases++) {
        const full: boolean = current.prepared.length === turn.lanes * WEBHOOK_WAVES.perLease
        const next: Promise<PreparedLease | undefined> | undefined =
          full && !this.loop.stopping ? this.claimNextLease(turn, leases) : undefined
        // Awaited below; handled now so a failure while this lease is sent is not unhandled.
        next?.catch(() => {})
        const sent = await this.sendInWaves(current, turn.lanes, recording)
        recording = sent.recording
        await releaseDeliveryLeases(this.database, endpoint, sent.untried, this.owner)
        const following: PreparedLease | undefined = await next
        if (following && (sent.endpointFailed || this.loop.stopping)) {
          const ids = following.prepared.map(({ delivery }) => delivery.event_id)
          await releaseDeliveryLeases(this.database, endpoint, ids, this.owner)
          break
        }
        current = following
      }
    } catch (error) {
      this.logger.error({ err: error, webhookId: endpoint.webhook_id }, 'webhook delivery bookkeeping failed')
    } finally {
      attemptsOver()
      try {
        await recording
      } catch (error) {
        this.logger.error(
          { err: error, webhookId: endpoint.webhook_id },
          'webhook delivery bookkeeping failed',
        )
      }
    }
  }

  /** Builds a lease's requests (deliveries whose webhook or event is gone are left out). */
  private async prepareLease(leased: WebhookDeliveryRow[], leasedAt: number): Promise<PreparedLease> {
    const prepared = await prepareDeliveries(this.database, leased, new Date().toISOString(), this.payloadFor)
    return { prepared, leasedAt }
  }

  /**
   * The turn's next lease, claimed and built: none when the endpoint has nothing more due now,
   * when another worker holds it (this worker's hold ran out meanwhile), or when the turn had its
   * share of leases and another endpoint is due. An endpoint alone in the queue keeps its turn:
   * ending it meant a new turn's selection, take, claim and build with nothing in flight, ~50 ms
   * idle every 2 048 deliveries on PostgreSQL.
   */
  private async claimNextLease(turn: Turn, leasesSoFar: number): Promise<PreparedLease | undefined> {
    const leasedAt = performance.now()
    const lease = await this.lease()
    if (leasesSoFar >= WEBHOOK_WAVES.leasesPerTurn && (await this.anotherEndpointIsDue(turn, lease)))
      return undefined
    if (!(await takeEndpoint(this.database, turn.endpoint, lease))) return undefined
    this.holds.set(turn.key, lease)
    const leased = await claimDueDeliveries(
      this.database,
      turn.endpoint,
      lease,
      turn.lanes * WEBHOOK_WAVES.perLease,
    )
    if (leased.length === 0) return undefined
    return this.prepareLease(leased, leasedAt)
  }

  /** Whether an endpoint other than the turn's has deliveries due that this worker could send. */
  private async anotherEndpointIsDue(turn: Turn, lease: Lease): Promise<boolean> {
    const due = await selectEndpointsWithDueDeliveries(this.database, lease, 2)
    return due.some((endpoint) => endpointKey(endpoint) !== turn.key)
  }

  /**
   * Sends a lease's deliveries in waves of `lanes`, in order, until all are sent, a wave has a
   * failed send, the worker stops, or the lease could not cover another wave and the recording.
   * Outcomes are recorded every few waves while the next ones are sent (one statement per wave
   * cost more than the sends); a batch is recorded only once the one before it (`recording`, the
   * previous lease's last, at first) is, so a worker that dies has sent at most
   * `unrecordedSendsAtMost` deliveries it did not record. Returns what was not sent and the
   * recording of the last batch, still under way.
   */
  private async sendInWaves(
    lease: PreparedLease,
    lanes: number,
    recordingBefore: Promise<void> | undefined,
  ): Promise<{ untried: number[]; endpointFailed: boolean; recording: Promise<void> | undefined }> {
    const { prepared, leasedAt } = lease
    let sent = 0
    let endpointFailed = false
    const unrecorded: Attempt[] = []
    let recording = recordingBefore
    const recordUnrecorded = async () => {
      await recording
      const done = this.recordOutcomes(unrecorded.splice(0))
      // Awaited before the next batch or by the caller; handled now so a failure meanwhile is not
      // an unhandled rejection.
      done.catch(() => {})
      recording = done
    }
    const leaseCoversAnotherWave = () =>
      performance.now() - leasedAt + this.timeoutMs + RECORDING_MARGIN_MS <= this.leaseMs
    // Each wave's signatures are made on the thread pool while the wave before it is sent: signed
    // when its wave started, the event loop sat idle waiting for them once a wave (0.5 s of a
    // 20 000-delivery run on PostgreSQL).
    const signWave = (from: number) => signAll(this.sign as WebhookSigner, prepared.slice(from, from + lanes))
    let signatures = signWave(0)
    while (sent < prepared.length && !endpointFailed && !this.loop.stopping && leaseCoversAnotherWave()) {
      const wave = prepared.slice(sent, sent + lanes)
      const waveSignatures = signatures
      signatures = signWave(sent + lanes)
      // A wave's attempts start together, so one timer bounds each of them.
      const deadline = AbortSignal.timeout(this.timeoutMs)
      setMaxListeners(wave.length + 1, deadline)
      const outcomes = await Promise.all(
        wave.map(({ url, body, failure }, i) =>
          failure
            ? ({ ok: false, status: null, error: failure } as const)
            : this.send(url, body, waveSignatures[i] as Promise<string>, deadline).then((outcome) => {
                if (!outcome.ok) endpointFailed = true
                return outcome
              }),
        ),
      )
      sent += wave.length
      wave.forEach(({ delivery }, i) => {
        unrecorded.push({ delivery, outcome: outcomes[i] as AttemptOutcome })
      })
      if (unrecorded.length >= WEBHOOK_WAVES.perRecord * lanes) await recordUnrecorded()
    }
    if (unrecorded.length > 0) await recordUnrecorded()
    const untried = prepared.slice(sent).map(({ delivery }) => delivery.event_id)
    return { untried, endpointFailed, recording }
  }

  /** Records attempts' outcomes; logs each failed attempt with what comes next for it. */
  private async recordOutcomes(attempts: readonly Attempt[]): Promise<void> {
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
  private async send(
    url: string,
    body: string,
    signing: Promise<string>,
    deadline: AbortSignal,
  ): Promise<AttemptOutcome> {
    const refusal = refusedLiteralTarget(url, this.targets)
    if (refusal) return { ok: false, status: null, error: refusal }
    try {
      const signature = await signing
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

type Attempt = { delivery: WebhookDeliveryRow; outcome: AttemptOutcome }

/**
 * Starts signing each body that can be sent (undefined for one whose payload failed). A signature
 * whose wave is never sent (the lease ended early) is dropped: its failure is nobody's.
 */
function signAll(
  sign: WebhookSigner,
  prepared: readonly PreparedDelivery[],
): Array<Promise<string> | undefined> {
  return prepared.map(({ body, failure }) => {
    if (failure) return undefined
    const signing = sign(body)
    signing.catch(() => {})
    return signing
  })
}

/** A lease's deliveries built into requests, and when it was taken (performance.now()). */
type PreparedLease = { prepared: PreparedDelivery[]; leasedAt: number }

/** One endpoint's turn in this worker: its lanes (requests in flight), held while it sends. */
type Turn = {
  endpoint: WebhookDeliveryRow
  key: string
  lanes: number
  sending: boolean
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
