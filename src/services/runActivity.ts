import { type ActivitySettings, DEFAULT_ACTIVITY_SETTINGS } from '../domain/activities.js'
import { type ActivityRow, findActivity, type Lease } from '../store/activities.js'
import type { Database } from '../store/database.js'
import { ACTIVITY_KIND_RUNNERS, LeaseLost } from './activityKinds/index.js'
import { tagRowsWritten } from './metrics.js'
import type { WrittenRows } from './writtenRows.js'

/** What one step did: there is more to do, the activity ended, or this worker no longer owns it. */
export type StepOutcome = 'more' | 'done' | 'lost'

/**
 * Runs one step of an activity this worker holds the lease on, in one transaction: either the
 * start (fix the covered contacts and the total) or one chunk (tag writes, their events and the
 * progress cursor), as the activity's kind does them (ACTIVITY_KIND_RUNNERS). A crash anywhere
 * loses at most the uncommitted step, which the next holder of the lease redoes from the cursor.
 */
export async function runActivityStep(
  database: Database,
  activityKey: Pick<ActivityRow, 'location_id' | 'id'>,
  lease: Lease,
  settings: ActivitySettings = DEFAULT_ACTIVITY_SETTINGS,
): Promise<StepOutcome> {
  const written: WrittenRows = { added: 0, removed: 0 }
  try {
    const outcome = await database.transaction(async (tx): Promise<StepOutcome> => {
      const activity = await findActivity(tx, activityKey.location_id, activityKey.id)
      if (!activity || activity.lease_owner !== lease.owner) return 'lost'
      const runner = ACTIVITY_KIND_RUNNERS[activity.kind]
      const step = { tx, activity, lease, settings, written }
      if (activity.state === 'initialized') return runner.start(step)
      if (activity.state !== 'processing') return 'lost'
      written.source = runner.metricSource
      return runner.chunk(step)
    })
    // Counted once committed: a chunk rolled back wrote nothing.
    if (written.source) {
      if (written.added > 0) tagRowsWritten.inc({ source: written.source, operation: 'add' }, written.added)
      if (written.removed > 0)
        tagRowsWritten.inc({ source: written.source, operation: 'remove' }, written.removed)
    }
    return outcome
  } catch (error) {
    if (error instanceof LeaseLost) return 'lost'
    throw error
  }
}
