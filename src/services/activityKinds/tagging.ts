import type { ContactSelector } from '../../domain/selectors.js'
import { type ActivityRow, finishActivity, markActivityStarted } from '../../store/activities.js'
import { recordSkippedContacts, recordSkippedContactsByReason } from '../../store/activitySkips.js'
import { findContactsByIds } from '../../store/contacts.js'
import { attachTags, detachTags } from '../../store/contactTags.js'
import type { Db } from '../../store/database.js'
import {
  countSelectedContacts,
  latestContactCreationOrder,
  type SelectionScope,
  selectContactChunk,
} from '../../store/selection.js'
import { findTagsByIds } from '../../store/tags.js'
import {
  type ActivityKindRunner,
  type ActivityStep,
  finishCompleted,
  recordTagChunk,
  requireLease,
  tagIdsOf,
  tagUpdatesOf,
} from './kind.js'

/** Contacts named one by one in an activity's errors; beyond this only the count grows. */
const MAX_REPORTED_CONTACTS = 100

/**
 * The ids a contact_ids source names that the activity cannot touch, each with why, in the order
 * given: not a contact of this account (unknown, or another tenant's: told apart from nothing),
 * or deleted. They are counted as skipped and listed in the activity's errors (the first 100),
 * not dropped silently.
 */
async function unusableNamedContacts(
  tx: Db,
  activity: ActivityRow,
): Promise<Array<{ contactId: string; reason: string }>> {
  const selector = activity.selector as ContactSelector
  if (selector.kind !== 'contact_ids') return []
  const named = [...new Set(selector.contactIds)]
  const found = new Map(
    (await findContactsByIds(tx, activity.location_id, named)).map((c) => [c.id, c.deleted_at !== null]),
  )
  const unusable: Array<{ contactId: string; reason: string }> = []
  for (const id of named) {
    const deleted = found.get(id)
    if (deleted === undefined) unusable.push({ contactId: id, reason: 'not a contact of this account' })
    else if (deleted) unusable.push({ contactId: id, reason: 'deleted' })
  }
  return unusable
}

function scopeOf(activity: ActivityRow, step: ActivityStep): SelectionScope {
  const startedAt = Date.parse(activity.started_at ?? activity.created_at)
  return {
    locationId: activity.location_id,
    selector: activity.selector as ContactSelector,
    snapshotSeq: activity.snapshot_seq ?? 0,
    newSubscriberSince: new Date(startedAt - step.settings.newSubscriberDays * 86_400_000).toISOString(),
  }
}

/**
 * contacts_taggings_add / _remove: the selector's contacts, fixed at start (contacts created later
 * are left out), get the activity's tags added or removed, chunk by chunk in id order.
 */
export function taggingRunner(operation: 'add' | 'remove'): ActivityKindRunner {
  return {
    metricSource: 'activity',

    async start(step) {
      const { tx, activity, lease } = step
      const tagIds = tagIdsOf(activity)
      const tags = await findTagsByIds(tx, activity.location_id, tagIds)
      if (tags.length < tagIds.length) {
        const found = new Set(tags.map((t) => t.id))
        const missing = tagIds.filter((id) => !found.has(id))
        requireLease(
          await finishActivity(tx, activity, lease, {
            state: 'failed',
            errors: [`tags deleted before the activity started: ${missing.join(', ')}`],
          }),
        )
        return 'done'
      }
      const snapshotSeq = await latestContactCreationOrder(tx, activity.location_id)
      const scope = { ...scopeOf({ ...activity, started_at: lease.now }, step), snapshotSeq }
      const itemsTotal = await countSelectedContacts(tx, scope)
      const unusable = await unusableNamedContacts(tx, activity)
      await recordSkippedContactsByReason(tx, activity, unusable)
      requireLease(
        await markActivityStarted(tx, activity, lease, {
          snapshotSeq,
          itemsTotal,
          skipped: unusable.length,
          errors: unusable
            .slice(0, MAX_REPORTED_CONTACTS)
            .map(({ contactId, reason }) => `contact ${contactId} skipped: ${reason}`),
        }),
      )
      return 'more'
    },

    async chunk(step) {
      const { tx, activity, lease, settings } = step
      const tags = await findTagsByIds(tx, activity.location_id, tagIdsOf(activity))
      const ids = await selectContactChunk(tx, scopeOf(activity, step), activity.cursor, settings.chunkSize)
      if (ids.length === 0) return finishCompleted(step)
      const present = tags.map((t) => t.id)
      const range = { first: ids[0] as string, last: ids[ids.length - 1] as string }
      const pairs =
        operation === 'add'
          ? await attachTags(tx, activity.location_id, ids, present, lease.now)
          : await detachTags(tx, activity.location_id, ids, present, range)
      const updates = tagUpdatesOf(pairs, tags, operation === 'add' ? 'added' : 'removed')
      const changed = new Set(updates.map((u) => u.contactId))
      await recordSkippedContacts(
        tx,
        activity,
        operation === 'add' ? 'already had every tag' : 'had none of the tags',
        ids.filter((id) => !changed.has(id)),
      )
      return recordTagChunk(step, updates, { processed: ids.length, range })
    },
  }
}
