import { randomUUID } from 'node:crypto'
import {
  LIST_MEMBERSHIP_ACTIVITY_KINDS,
  TERMINAL_ACTIVITY_STATES,
  UNDOABLE_ACTIVITY_KINDS,
} from '../domain/activities.js'
import { type ActivityRow, findActivity, findLiveUndoOf, insertActivity } from '../store/activities.js'
import type { Database } from '../store/database.js'
import { ServiceError } from './errors.js'

/**
 * Queues an undo of a finished add/remove activity or tag deletion: each contact it changed gets
 * those tags back as they were, unless the contact changed again since (reported, not
 * overwritten). A deletion's tags are recreated by name when the undo starts (new ids). A
 * list-membership activity's undo takes back the memberships it changed (listMembershipsUndo.ts).
 */
export async function createUndoActivity(
  database: Database,
  locationId: string,
  activityId: string,
): Promise<ActivityRow> {
  return database.transaction(async (tx) => {
    const original = await findActivity(tx, locationId, activityId)
    if (!original) throw new ServiceError('activity-not-found', 'Activity not found')
    if (!UNDOABLE_ACTIVITY_KINDS.includes(original.kind))
      throw new ServiceError(
        'activity-not-undoable',
        `Only ${UNDOABLE_ACTIVITY_KINDS.join(', ')} activities can be undone, not ${original.kind}`,
      )
    if (!TERMINAL_ACTIVITY_STATES.includes(original.state))
      throw new ServiceError(
        'activity-not-undoable',
        `Activity is still ${original.state}; cancel it or let it finish first`,
      )
    if (original.kind === 'contacts_tags_delete' && original.tag_names === null)
      throw new ServiceError(
        'activity-not-undoable',
        'This tag deletion predates Tagbase keeping the deleted names (migration 0013); it cannot be undone',
      )
    const existing = await findLiveUndoOf(tx, locationId, activityId)
    if (existing)
      throw new ServiceError(
        'activity-not-undoable',
        `Activity is already undone by activity ${existing.id}`,
        {
          undoActivityId: existing.id,
        },
      )
    const now = new Date().toISOString()
    const memberships = LIST_MEMBERSHIP_ACTIVITY_KINDS.includes(original.kind)
    return insertActivity(tx, {
      location_id: locationId,
      id: randomUUID(),
      kind: memberships ? 'list_memberships_undo' : 'contacts_taggings_undo',
      state: 'initialized',
      tag_ids: original.tag_ids,
      ...(original.tag_names ? { tag_names: original.tag_names } : {}),
      ...(original.list_ids ? { list_ids: original.list_ids } : {}),
      selector: null,
      undo_of: original.id,
      items_completed: 0,
      created_at: now,
      updated_at: now,
    })
  })
}
