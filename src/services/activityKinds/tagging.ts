import { recordSkippedContacts } from '../../store/activitySkips.js'
import { attachTags, detachTags } from '../../store/contactTags.js'
import { selectContactChunk } from '../../store/selection.js'
import { findTagsByIds } from '../../store/tags.js'
import { type ActivityKindRunner, finishCompleted, recordTagChunk, tagIdsOf, tagUpdatesOf } from './kind.js'
import { scopeOf, startOverSelection } from './selected.js'

/**
 * contacts_taggings_add / _remove: the selector's contacts, fixed at start (contacts created later
 * are left out), get the activity's tags added or removed, chunk by chunk in id order.
 */
export function taggingRunner(operation: 'add' | 'remove'): ActivityKindRunner {
  return {
    metricSource: 'activity',

    async start(step) {
      const tagIds = tagIdsOf(step.activity)
      const tags = await findTagsByIds(step.tx, step.activity.location_id, tagIds)
      return startOverSelection(step, { what: 'tags', wanted: tagIds, found: tags })
    },

    async chunk(step) {
      const { tx, activity, settings } = step
      const tags = await findTagsByIds(tx, activity.location_id, tagIdsOf(activity))
      const ids = await selectContactChunk(tx, scopeOf(activity, step), activity.cursor, settings.chunkSize)
      if (ids.length === 0) return finishCompleted(step)
      const present = tags.map((t) => t.id)
      const range = { first: ids[0] as string, last: ids[ids.length - 1] as string }
      const pairs =
        operation === 'add'
          ? await attachTags(tx, activity.location_id, ids, present, range)
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
