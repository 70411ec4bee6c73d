import { markActivityStarted } from '../../store/activities.js'
import { recordSkippedContactsByReason } from '../../store/activitySkips.js'
import { lockLiveContacts } from '../../store/contacts.js'
import {
  addMemberships,
  type ContactListPair,
  countMembershipChangedContacts,
  listMembershipChangesAfter,
  removeMemberships,
} from '../../store/listMemberships.js'
import { type ActivityKindRunner, finishCompleted, reportedErrors, requireLease } from './kind.js'
import { recordMembershipChunk } from './listMemberships.js'

export const MEMBERSHIP_UNDO_SKIPS = Object.freeze({
  deleted: 'left alone: the contact was deleted after the activity',
  unchanged:
    'left alone: its memberships were already as before the activity (changed since, or lists deleted)',
})

/**
 * list_memberships_undo (Tagbase's own): reverts what an add/remove_list_memberships activity
 * changed, contact by contact from its log: memberships it added are removed, memberships it removed
 * are added back (to lists that still exist). A contact deleted since is left alone, as is one
 * whose memberships are already as before; both are reported (the first 100) and counted. Unlike
 * tag changes, membership changes made elsewhere are not logged, so "changed since" is judged by
 * the memberships as they are now.
 */
export const listMembershipUndoRunner: ActivityKindRunner = {
  metricSource: 'undo',

  async start({ tx, activity, lease }) {
    const itemsTotal = await countMembershipChangedContacts(
      tx,
      activity.location_id,
      activity.undo_of as string,
    )
    requireLease(await markActivityStarted(tx, activity, lease, { snapshotSeq: 0, itemsTotal }))
    return 'more'
  },

  async chunk(step) {
    const { tx, activity: undo, lease, settings } = step
    const locationId = undo.location_id
    const { changes } = await listMembershipChangesAfter(
      tx,
      locationId,
      undo.undo_of as string,
      undo.cursor ?? '',
      {
        contacts: settings.chunkSize,
        listsPerContact: undo.list_ids?.length ?? 1,
      },
    )
    if (changes.length === 0) return finishCompleted(step)
    // Locked first, as every writer of a contact locks it; a contact not locked is deleted.
    const live = new Set(
      await lockLiveContacts(
        tx,
        locationId,
        changes.map((c) => c.contactId),
      ),
    )
    // Contacts needing the same restoration share one statement (as the tag undo's groups do).
    const groups = new Map<string, { added: string[]; removed: string[]; contacts: string[] }>()
    for (const change of changes) {
      if (!live.has(change.contactId)) continue
      const key = `${change.added.join(',')}|${change.removed.join(',')}`
      const group = groups.get(key) ?? { added: change.added, removed: change.removed, contacts: [] }
      group.contacts.push(change.contactId)
      groups.set(key, group)
    }
    const removed: ContactListPair[] = []
    const added: ContactListPair[] = []
    for (const group of groups.values()) {
      removed.push(...(await removeMemberships(tx, locationId, group.contacts, group.added)))
      added.push(...(await addMemberships(tx, locationId, group.contacts, group.removed, lease.now)))
    }
    const changed = new Set([...removed, ...added].map((p) => p.contact_id))
    const skips = changes
      .filter((c) => !changed.has(c.contactId))
      .map((c) => ({
        contactId: c.contactId,
        reason: live.has(c.contactId) ? MEMBERSHIP_UNDO_SKIPS.unchanged : MEMBERSHIP_UNDO_SKIPS.deleted,
      }))
    await recordSkippedContactsByReason(tx, undo, skips)
    const errors = reportedErrors(undo.errors, skips, (skip) => `contact ${skip.contactId} ${skip.reason}`)
    return recordMembershipChunk(
      step,
      { added, removed },
      {
        processed: changes.length,
        cursor: changes[changes.length - 1]?.contactId as string,
        skipped: skips.length,
        errors,
      },
    )
  },
}
