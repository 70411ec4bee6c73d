import type { ContactSelector } from '../../domain/selectors.js'
import { type ActivityRow, finishActivity, markActivityStarted } from '../../store/activities.js'
import { recordSkippedContactsByReason } from '../../store/activitySkips.js'
import { findContactsByIds } from '../../store/contacts.js'
import type { Db } from '../../store/database.js'
import {
  countSelectedContacts,
  latestContactCreationOrder,
  type SelectionScope,
} from '../../store/selection.js'
import { type ActivityStep, reportedErrors, requireLease } from './kind.js'

/**
 * What the kinds over a selector (tagging, list memberships) share: which contacts the activity
 * covers, and which named contacts it cannot touch.
 */

/**
 * The ids a contact_ids source names that the activity cannot touch, each with why, in the order
 * given: not a contact of this account (unknown, or another tenant's: told apart from nothing),
 * or deleted. They are counted as skipped and listed in the activity's errors (the first 100),
 * not dropped silently.
 */
export async function unusableNamedContacts(
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

export function scopeOf(activity: ActivityRow, step: ActivityStep): SelectionScope {
  const startedAt = Date.parse(activity.started_at ?? activity.created_at)
  return {
    locationId: activity.location_id,
    selector: activity.selector as ContactSelector,
    snapshotSeq: activity.snapshot_seq ?? 0,
    newSubscriberSince: new Date(startedAt - step.settings.newSubscriberDays * 86_400_000).toISOString(),
  }
}

/**
 * The start of an activity over a selector. Its targets (the tags or lists it applies) must all
 * still exist, or it fails naming those gone. Then the snapshot (contacts created later are left
 * out), the total, the named contacts it cannot touch (skipped and reported), then processing.
 */
export async function startOverSelection(
  step: ActivityStep,
  targets: { what: 'tags' | 'lists'; wanted: readonly string[]; found: ReadonlyArray<{ id: string }> },
): Promise<'more' | 'done'> {
  const { tx, activity, lease } = step
  const found = new Set(targets.found.map((t) => t.id))
  const missing = targets.wanted.filter((id) => !found.has(id))
  if (missing.length > 0) {
    requireLease(
      await finishActivity(tx, activity, lease, {
        state: 'failed',
        errors: [`${targets.what} deleted before the activity started: ${missing.join(', ')}`],
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
      errors: reportedErrors(
        [],
        unusable,
        ({ contactId, reason }) => `contact ${contactId} skipped: ${reason}`,
      ),
    }),
  )
  return 'more'
}
