import { type ActivityKind, type ActivitySettings, DEFAULT_ACTIVITY_SETTINGS } from '../domain/activities.js'
import { groupBy } from '../domain/collections.js'
import type { ContactSelector } from '../domain/selectors.js'
import {
  type ActivityRow,
  findActivity,
  finishActivity,
  type Lease,
  markActivityStarted,
  recordChunkProgress,
} from '../store/activities.js'
import { touchContacts } from '../store/contacts.js'
import { attachTags, type ContactTagPair, detachTags } from '../store/contactTags.js'
import type { Database, Db } from '../store/database.js'
import { appendContactTagUpdates, type ContactTagUpdate } from '../store/events.js'
import {
  countSelectedContacts,
  countTagHolders,
  latestContactCreationOrder,
  type SelectionScope,
  selectContactChunk,
  selectTagHolderChunk,
} from '../store/selection.js'
import { deleteTag, findTagsByIds, type TagRow } from '../store/tags.js'
import { tagRowsWritten } from './metrics.js'
import { runUndoChunk, startUndo } from './undoActivity.js'
import { countUpdates, type WrittenRows } from './writtenRows.js'

/** What one step did: there is more to do, the activity ended, or this worker no longer owns it. */
export type StepOutcome = 'more' | 'done' | 'lost'

class LeaseLost extends Error {}

/**
 * Runs one step of an activity this worker holds the lease on, in one transaction: either the
 * start (fix the covered contacts and the total) or one chunk (tag writes, their events and the
 * progress cursor). A crash anywhere loses at most the uncommitted step, which the next holder
 * of the lease redoes from the cursor.
 */
export async function runActivityStep(
  database: Database,
  activityKey: Pick<ActivityRow, 'location_id' | 'id'>,
  lease: Lease,
  settings: ActivitySettings = DEFAULT_ACTIVITY_SETTINGS,
): Promise<StepOutcome> {
  const written: WrittenRows = { added: 0, removed: 0 }
  try {
    const outcome = await database.transaction(async (tx) => {
      const activity = await findActivity(tx, activityKey.location_id, activityKey.id)
      if (!activity || activity.lease_owner !== lease.owner) return 'lost'
      if (activity.state === 'initialized') return startActivity(tx, activity, lease, settings)
      if (activity.state !== 'processing') return 'lost'
      written.source = activity.kind === 'contacts_taggings_undo' ? 'undo' : 'activity'
      return runChunk(tx, activity, lease, settings, written)
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

function tagIdsOf(activity: ActivityRow): string[] {
  return JSON.parse(activity.tag_ids) as string[]
}

function scopeOf(activity: ActivityRow, settings: ActivitySettings): SelectionScope {
  const startedAt = Date.parse(activity.started_at ?? activity.created_at)
  return {
    locationId: activity.location_id,
    selector: JSON.parse(activity.selector as string) as ContactSelector,
    snapshotSeq: activity.snapshot_seq ?? 0,
    newSubscriberSince: new Date(startedAt - settings.newSubscriberDays * 86_400_000).toISOString(),
  }
}

async function startActivity(
  tx: Db,
  activity: ActivityRow,
  lease: Lease,
  settings: ActivitySettings,
): Promise<StepOutcome> {
  if (activity.kind === 'contacts_taggings_undo') {
    if (!(await startUndo(tx, activity, lease))) throw new LeaseLost()
    return 'more'
  }
  const tagIds = tagIdsOf(activity)
  const tags = await findTagsByIds(tx, activity.location_id, tagIds)
  if (activity.kind !== 'contacts_tags_delete' && tags.length < tagIds.length) {
    const found = new Set(tags.map((t) => t.id))
    const missing = tagIds.filter((id) => !found.has(id))
    await finishActivity(tx, activity, lease, {
      state: 'failed',
      errors: [`tags deleted before the activity started: ${missing.join(', ')}`],
    })
    return 'done'
  }
  let itemsTotal: number
  let snapshotSeq = 0
  if (activity.kind === 'contacts_tags_delete') {
    itemsTotal = await countTagHolders(tx, activity.location_id, tagIds)
  } else {
    snapshotSeq = await latestContactCreationOrder(tx, activity.location_id)
    const scope = { ...scopeOf({ ...activity, started_at: lease.now }, settings), snapshotSeq }
    itemsTotal = await countSelectedContacts(tx, scope)
  }
  if (!(await markActivityStarted(tx, activity, lease, { snapshotSeq, itemsTotal }))) throw new LeaseLost()
  return 'more'
}

async function runChunk(
  tx: Db,
  activity: ActivityRow,
  lease: Lease,
  settings: ActivitySettings,
  written: WrittenRows,
): Promise<StepOutcome> {
  const kind = activity.kind
  if (kind === 'contacts_taggings_undo') {
    const outcome = await runUndoChunk(tx, activity, lease, settings.chunkSize, written)
    if (outcome === false) throw new LeaseLost()
    if (outcome === 'more') return 'more'
    if (!(await finishActivity(tx, activity, lease, { state: 'completed' }))) throw new LeaseLost()
    return 'done'
  }
  const tagIds = tagIdsOf(activity)
  const tags = await findTagsByIds(tx, activity.location_id, tagIds)
  const ids =
    kind === 'contacts_tags_delete'
      ? await selectTagHolderChunk(tx, activity.location_id, tagIds, activity.cursor, settings.chunkSize)
      : await selectContactChunk(tx, scopeOf(activity, settings), activity.cursor, settings.chunkSize)

  if (ids.length === 0) {
    if (kind === 'contacts_tags_delete')
      for (const tag of tags) await deleteTag(tx, activity.location_id, tag.id)
    if (!(await finishActivity(tx, activity, lease, { state: 'completed' }))) throw new LeaseLost()
    return 'done'
  }

  const present = tags.map((t) => t.id)
  const range = { first: ids[0] as string, last: ids[ids.length - 1] as string }
  const pairs =
    kind === 'contacts_taggings_add'
      ? await attachTags(tx, activity.location_id, ids, present, lease.now, range)
      : await detachTags(tx, activity.location_id, ids, present, range)
  const updates = tagUpdates(pairs, tags, kind === 'contacts_taggings_add' ? 'added' : 'removed')
  countUpdates(written, updates)
  await appendContactTagUpdates(
    tx,
    activity.location_id,
    updates,
    { source: `constantcontact.${kind}`, activityId: activity.id },
    lease.now,
  )
  await touchContacts(
    tx,
    activity.location_id,
    updates.map((u) => u.contactId),
    lease.now,
    range,
  )
  const cursor = range.last
  if (!(await recordChunkProgress(tx, activity, lease, { cursor, processed: ids.length })))
    throw new LeaseLost()
  return 'more'
}

/** One update per contact whose tags changed, names in the activity's tag order. */
function tagUpdates(
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
