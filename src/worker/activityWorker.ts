import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { type ActivitySettings, DEFAULT_ACTIVITY_SETTINGS, runActivityStep } from '../services/runActivity.js'
import {
  type ActivityRow,
  claimRunnableActivity,
  type Lease,
  releaseActivityLease,
} from '../store/activities.js'
import { refreshContactStatistics } from '../store/contacts.js'
import type { Database } from '../store/database.js'
import { leaseFrom, PollingLoop } from './pollingLoop.js'

export type ActivityWorkerOptions = Partial<ActivitySettings> & {
  /** Lock owner written on claimed activities; unique per worker. */
  owner?: string
  /** How long a claim lasts without progress before another worker may take the activity over. */
  leaseMs?: number
  /** Idle wait between looks for new work (`wake()` cuts it short). */
  pollMs?: number
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>
}

const silentLogger = { info() {}, warn() {}, error() {} }

export const DEFAULT_ACTIVITY_LEASE_MS = 30_000

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
    const claimed = await this.database.transaction((tx) => claimRunnableActivity(tx, this.lease()))
    if (!claimed) return false
    this.logger.info(
      { activityId: claimed.id, locationId: claimed.location_id, owner: this.owner },
      'activity claimed',
    )
    await this.runClaimed(claimed)
    return true
  }

  private lease(): Lease {
    return leaseFrom(this.owner, this.leaseMs)
  }

  private async runClaimed(activity: ActivityRow): Promise<void> {
    try {
      for (;;) {
        if (this.loop.stopping) {
          await releaseActivityLease(this.database, activity, this.owner, new Date().toISOString())
          return
        }
        const outcome = await runActivityStep(this.database, activity, this.lease(), this.settings)
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
      // The failed step rolled back; give the activity back so it is retried from its cursor.
      this.logger.error({ err: error, activityId: activity.id }, 'activity step failed')
      await releaseActivityLease(this.database, activity, this.owner, new Date().toISOString()).catch(
        () => {},
      )
      throw error
    }
  }
}
