import { recordChunkProgress } from '../../store/activities.js'
import { recordSkippedContacts } from '../../store/activitySkips.js'
import { touchContacts } from '../../store/contacts.js'
import { keyRangeOf } from '../../store/contactTags.js'
import {
  addMemberships,
  type ContactListPair,
  recordMembershipChanges,
  removeMemberships,
} from '../../store/listMemberships.js'
import { findListsByIds } from '../../store/lists.js'
import { selectContactChunk } from '../../store/selection.js'
import { type ActivityKindRunner, type ActivityStep, finishCompleted, requireLease } from './kind.js'
import { scopeOf, startOverSelection } from './selected.js'

export function listIdsOf(step: Pick<ActivityStep, 'activity'>): string[] {
  return step.activity.list_ids ?? []
}

/**
 * The end of every membership-writing chunk: log what changed (the activity's results and what its
 * undo reverts), touch the changed contacts (a membership is part of the contact: its updated_at
 * moves), move the cursor.
 */
export async function recordMembershipChunk(
  step: ActivityStep,
  pairs: { added: readonly ContactListPair[]; removed: readonly ContactListPair[] },
  chunk: { processed: number; cursor: string; skipped?: number; errors?: readonly string[] },
): Promise<'more'> {
  const { tx, activity, lease } = step
  await recordMembershipChanges(tx, activity.location_id, activity.id, pairs.added, 'added')
  await recordMembershipChanges(tx, activity.location_id, activity.id, pairs.removed, 'removed')
  const changed = [...new Set([...pairs.added, ...pairs.removed].map((p) => p.contact_id))]
  await touchContacts(tx, activity.location_id, changed, lease.now, keyRangeOf(changed))
  requireLease(await recordChunkProgress(tx, activity, lease, chunk))
  return 'more'
}

/**
 * add_list_memberships / remove_list_memberships: the selector's contacts, fixed at start, are put
 * on or taken off the activity's lists, chunk by chunk in id order (one INSERT ... SELECT or one
 * DELETE per chunk). A list deleted while the activity runs loses nothing more to it.
 */
export function listMembershipRunner(operation: 'add' | 'remove'): ActivityKindRunner {
  return {
    metricSource: 'activity',

    async start(step) {
      const listIds = listIdsOf(step)
      const lists = await findListsByIds(step.tx, step.activity.location_id, listIds)
      return startOverSelection(step, { what: 'lists', wanted: listIds, found: lists })
    },

    async chunk(step) {
      const { tx, activity, lease, settings } = step
      const ids = await selectContactChunk(tx, scopeOf(activity, step), activity.cursor, settings.chunkSize)
      if (ids.length === 0) return finishCompleted(step)
      const listIds = listIdsOf(step)
      const pairs =
        operation === 'add'
          ? await addMemberships(tx, activity.location_id, ids, listIds, lease.now)
          : await removeMemberships(tx, activity.location_id, ids, listIds)
      const changed = new Set(pairs.map((p) => p.contact_id))
      await recordSkippedContacts(
        tx,
        activity,
        operation === 'add' ? 'already on every list' : 'on none of the lists',
        ids.filter((id) => !changed.has(id)),
      )
      return recordMembershipChunk(
        step,
        operation === 'add' ? { added: pairs, removed: [] } : { added: [], removed: pairs },
        { processed: ids.length, cursor: ids[ids.length - 1] as string },
      )
    },
  }
}
