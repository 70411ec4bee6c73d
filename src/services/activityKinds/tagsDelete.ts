import { markActivityStarted } from '../../store/activities.js'
import { detachTags } from '../../store/contactTags.js'
import { countTagHolders, selectTagHolderChunk } from '../../store/selection.js'
import { deleteTag, findTagsByIds } from '../../store/tags.js'
import {
  type ActivityKindRunner,
  finishCompleted,
  recordTagChunk,
  requireLease,
  tagIdsOf,
  tagUpdatesOf,
} from './kind.js'

/**
 * contacts_tags_delete: the tags are taken off every contact holding them, chunk by chunk, and
 * deleted once no contact holds them.
 */
export const tagsDeleteRunner: ActivityKindRunner = {
  metricSource: 'activity',

  async start({ tx, activity, lease }) {
    const itemsTotal = await countTagHolders(tx, activity.location_id, tagIdsOf(activity))
    requireLease(await markActivityStarted(tx, activity, lease, { snapshotSeq: 0, itemsTotal }))
    return 'more'
  },

  async chunk(step) {
    const { tx, activity, settings } = step
    const tagIds = tagIdsOf(activity)
    const tags = await findTagsByIds(tx, activity.location_id, tagIds)
    const ids = await selectTagHolderChunk(
      tx,
      activity.location_id,
      tagIds,
      activity.cursor,
      settings.chunkSize,
    )
    if (ids.length === 0) {
      for (const tag of tags) await deleteTag(tx, activity.location_id, tag.id)
      return finishCompleted(step)
    }
    const range = { first: ids[0] as string, last: ids[ids.length - 1] as string }
    const pairs = await detachTags(
      tx,
      activity.location_id,
      ids,
      tags.map((t) => t.id),
      range,
    )
    return recordTagChunk(step, tagUpdatesOf(pairs, tags, 'removed'), { processed: ids.length, range })
  },
}
