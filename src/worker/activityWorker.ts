import { hostname } from 'node:os'
import type { Logger } from 'pino'
import {
  type ActivitySettings,
  DEFAULT_ACTIVITY_LEASE_MS,
  DEFAULT_ACTIVITY_SETTINGS,
} from '../domain/activities.js'
import { runActivityStep } from '../services/runActivity.js'
import {
  type ClaimedActivity,
  claimRunnableActivity,
  type Lease,
  markActivityFailed,
  releaseActivityLease,
} from '../store/activities.js'
import { refreshContactStatistics } from '../store/contacts.js'
import { type Database, isDatabaseUnavailable } from '../store/database.js'
import { leaseFromDatabaseClock, readDatabaseClock } from '../store/leases.js'
import { PollingLoop } from './pollingLoop.js'

export type ActivityWorkerOptions = Partial<ActivitySettings> & {
  /** Lock owner written on claimed activities; unique per worker. */
  owner?: string
  /** How long a claim lasts without progress before another worker may take the activity over. */
  leaseMs?: number
  /** Idle wait between looks for new work (`wake()` cuts it short). */
  pollMs?: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
  /** First wait before an activity that failed is tried again (doubles per failure, up to 60 s). */
  retryBaseMs?: number
}

const silentLogger = { info() {}, warn() {}, error() {} }

/**
 * An activity whose steps fail this many times for reasons of its own (not an unavailable
 * database) ends as failed; between tries it waits 1 s, 2 s, 4 s, ... so it never holds up others.
 */
export const ACTIVITY_MAX_FAILED_ATTEMPTS = 5
const ACTIVITY_RETRY_BASE_MS = 1000
const ACTIVITY_RETRY_MAX_MS = 60_000

/**
 * Runs activities step by step under a lease. Any number of workers, in any number of processes,
 * can share one PostgreSQL database: each claim takes a different activity, and an activity whose
 * worker died is taken over once its lease expires, resuming from its last committed chunk.
 */
export class ActivityWorker {
  readonly owner: string
  private readonly settings: ActivitySettings
  private readonly leaseMs: number
  private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>
  private readonly loop: PollingLoop
  private readonly retryBaseMs: number

  constructor(
    private readonly database: Database,
    options: ActivityWorkerOptions = {},
  ) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`
    this.settings = {
      chunkSize: options.chunkSize ?? DEFAULT_ACTIVITY_SETTINGS.chunkSize,
      newSubscriberDays: options.newSubscriberDays ?? DEFAULT_ACTIVITY_SETTINGS.newSubscriberDays,
    }
    this.leaseMs = options.leaseMs ?? DEFAULT_ACTIVITY_LEASE_MS
    this.logger = options.logger ?? silentLogger
    this.retryBaseMs = options.retryBaseMs ?? ACTIVITY_RETRY_BASE_MS
    this.loop = new PollingLoop(
      options.pollMs ?? 250,
      () => this.runOne(),
      // The step rolled back and its activity was released; wait before trying again.
      (error) => this.logger.error({ err: error, owner: this.owner }, 'activity worker iteration failed'),
    )
  }

  start(): void {
    this.loop.start()
  }

  /** Lets the step in flight commit, gives its activity back, and returns when the loop has ended. */
  stop(): Promise<void> {
    return this.loop.stop()
  }

  /** New work was queued: look now rather than after the poll interval. */
  wake(): void {
    this.loop.wake()
  }

  /** Claims one runnable activity and runs it until it ends or is lost; false when none was runnable. */
  async runOne(): Promise<boolean> {
    const lease = await this.lease()
    const claimed = await this.database.transaction((tx) => claimRunnableActivity(tx, lease))
    if (!claimed) return false
    this.logger.info(
      { activityId: claimed.id, locationId: claimed.location_id, owner: this.owner },
      'activity claimed',
    )
    await this.runClaimed(claimed)
    return true
  }

  /** Taken from the database's clock, so hosts with skewed clocks cannot steal each other's leases. */
  private lease(): Promise<Lease> {
    return leaseFromDatabaseClock(this.database, this.owner, this.leaseMs)
  }

  private async runClaimed(activity: ClaimedActivity): Promise<void> {
    try {
      for (;;) {
        if (this.loop.stopping) {
          await releaseActivityLease(this.database, activity, this.owner, { now: new Date().toISOString() })
          return
        }
        const outcome = await runActivityStep(this.database, activity, await this.lease(), this.settings)
        if (outcome === 'done') {
          this.logger.info({ activityId: activity.id }, 'activity ended')
          // An activity can grow the tag rows a lot; plans made on stale statistics would then
          // read whole tenants (counting tags, listing contacts).
          await refreshContactStatistics(this.database).catch((error: unknown) =>
            this.logger.warn({ err: error }, 'refreshing planner statistics failed'),
          )
          return
        }
        if (outcome === 'lost') {
          this.logger.warn({ activityId: activity.id }, 'activity lease lost or activity cancelled')
          return
        }
      }
    } catch (error) {
      // The failed step rolled back. If the database is to blame, the lease simply runs out (or is
      // released) and the activity resumes from its cursor; if the activity is, it is counted.
      this.logger.error({ err: error, activityId: activity.id }, 'activity step failed')
      if (isDatabaseUnavailable(error)) {
        await releaseActivityLease(this.database, activity, this.owner, {
          now: new Date().toISOString(),
        }).catch(() => {})
        throw error
      }
      await this.recordFailure(activity, error).catch((recordError: unknown) =>
        this.logger.error({ err: recordError, activityId: activity.id }, 'recording the failure failed'),
      )
    }
  }

  private async recordFailure(activity: ClaimedActivity, error: unknown): Promise<void> {
    const attempts = activity.failed_attempts + 1
    const now = await readDatabaseClock(this.database)
    if (attempts >= ACTIVITY_MAX_FAILED_ATTEMPTS) {
      const reason = error instanceof Error ? error.message : String(error)
      await markActivityFailed(this.database, activity, this.owner, {
        now: new Date(now).toISOString(),
        attempts,
        errors: [`The activity failed after ${attempts} attempts: ${reason.slice(0, 300)}`],
      })
      this.logger.warn({ activityId: activity.id, attempts }, 'activity failed for good')
      return
    }
    const delay = Math.min(ACTIVITY_RETRY_MAX_MS, this.retryBaseMs * 2 ** (attempts - 1))
    await releaseActivityLease(this.database, activity, this.owner, {
      now: new Date(now).toISOString(),
      retryAt: new Date(now + delay).toISOString(),
      failedAttempts: attempts,
    })
  }
}
