import type { ActivitySettings } from '../../domain/activities.js'
import { groupBy } from '../../domain/collections.js'
import { type ActivityRow, finishActivity, type Lease, recordChunkProgress } from '../../store/activities.js'
import type { ContactTagPair } from '../../store/contactTags.js'
import type { Db } from '../../store/database.js'
import { ACTIVITY_SOURCE, type ContactTagUpdate, recordContactTagUpdates } from '../../store/events.js'
import type { TagRow } from '../../store/tags.js'
import { countUpdates, type WrittenRows } from '../writtenRows.js'

/** One step of an activity, inside the transaction that commits it. */
export type ActivityStep = {
  tx: Db
  activity: ActivityRow
  lease: Lease
  settings: ActivitySettings
  /** Tag rows the step wrote, counted once the transaction commits. */
  written: WrittenRows
}

/** There is more to do, or the activity ended (a lost lease throws LeaseLost instead). */
export type KindStepOutcome = 'more' | 'done'

/**
 * What one activity kind does, in the steps every kind goes through: `start` fixes what the
 * activity covers (its snapshot) and its total, then moves it to processing; `chunk` selects the
 * next contacts after the cursor, writes, logs their events and records progress, or — nothing
 * left — finishes the activity. Each runs in one transaction under the worker's lease. Adding a
 * kind is one module implementing this plus one line in ACTIVITY_KIND_RUNNERS.
 */
export interface ActivityKindRunner {
  /** Label of the tag rows its chunks write, in the metrics. */
  readonly metricSource: 'activity' | 'undo'
  start(step: ActivityStep): Promise<KindStepOutcome>
  chunk(step: ActivityStep): Promise<KindStepOutcome>
}

/** Contacts named one by one in an activity's errors; beyond this only the count grows. */
export const MAX_REPORTED_CONTACTS = 100

/** The activity's errors with a line per item appended, up to MAX_REPORTED_CONTACTS lines in all. */
export function reportedErrors<T>(
  errors: readonly string[],
  items: readonly T[],
  describe: (item: T) => string,
): string[] {
  return [...errors, ...items.slice(0, Math.max(0, MAX_REPORTED_CONTACTS - errors.length)).map(describe)]
}

/** The lease was lost (or the activity cancelled) during the step: the caller rolls it back. */
export class LeaseLost extends Error {}

/** A store write that only the lease holder may make returned false. */
export function requireLease(held: boolean): void {
  if (!held) throw new LeaseLost()
}

export async function finishCompleted(step: ActivityStep): Promise<'done'> {
  requireLease(await finishActivity(step.tx, step.activity, step.lease, { state: 'completed' }))
  return 'done'
}

export function tagIdsOf(activity: ActivityRow): string[] {
  return activity.tag_ids
}

/** One update per contact whose tags changed, names in the activity's tag order. */
export function tagUpdatesOf(
  pairs: readonly ContactTagPair[],
  tags: readonly TagRow[],
  direction: 'added' | 'removed',
): ContactTagUpdate[] {
  const order = new Map(tags.map((t, i) => [t.id, i]))
  const names = new Map(tags.map((t) => [t.id, t.name]))
  const byContact = groupBy(
    [...pairs].sort((a, b) => (order.get(a.tag_id) ?? 0) - (order.get(b.tag_id) ?? 0)),
    (pair) => pair.contact_id,
    (pair) => names.get(pair.tag_id) as string,
  )
  return [...byContact].map(([contactId, changed]) => ({
    contactId,
    tagsAdded: direction === 'added' ? changed : [],
    tagsRemoved: direction === 'removed' ? changed : [],
  }))
}

/**
 * The end of every tag-writing chunk: count the rows, log one event per changed contact, touch
 * those contacts, move the cursor past the chunk's last contact.
 */
export async function recordTagChunk(
  step: ActivityStep,
  updates: readonly ContactTagUpdate[],
  chunk: { processed: number; range: { first: string; last: string } },
): Promise<'more'> {
  const { tx, activity, lease } = step
  countUpdates(step.written, updates)
  const events = await recordContactTagUpdates(
    tx,
    activity.location_id,
    updates,
    { source: ACTIVITY_SOURCE, activityId: activity.id },
    lease.now,
  )
  requireLease(
    await recordChunkProgress(tx, activity, lease, {
      cursor: chunk.range.last,
      processed: chunk.processed,
      events,
    }),
  )
  return 'more'
}
