import { groupBy } from '../../domain/collections.js'
import { decideUndo, UNDO_SKIP_MESSAGES, type UndoDecision } from '../../domain/undo.js'
import {
  type ActivityRow,
  findActivity,
  markActivityStarted,
  recordChunkProgress,
  setActivityTagIds,
} from '../../store/activities.js'
import { recordSkippedContactsByReason } from '../../store/activitySkips.js'
import { lockLiveContacts } from '../../store/contacts.js'
import { attachTags, detachTags, keyRangeOf } from '../../store/contactTags.js'
import type { Db } from '../../store/database.js'
import {
  ACTIVITY_SOURCE,
  type ContactTagUpdate,
  listActivityChanges,
  listEventsAfterEach,
  recordContactTagUpdates,
  tagChangeOf,
} from '../../store/events.js'
import { ensureTagsByName, findTagsByIds } from '../../store/tags.js'
import { countUpdates } from '../writtenRows.js'
import { type ActivityKindRunner, finishCompleted, reportedErrors, requireLease } from './kind.js'

/**
 * contacts_taggings_undo (Tagbase's own): reverts what an add/remove activity changed. It covers
 * one contact per event the original logged; each chunk takes the next of those events, decides
 * each against the contact's later events, applies the restorations set-based (one statement per
 * distinct tag set), logs its own events and moves the cursor. A contact changed since, or
 * deleted, is left alone and reported (the first 100 by id, all of them counted).
 */
export const undoRunner: ActivityKindRunner = {
  metricSource: 'undo',

  async start({ tx, activity, lease }) {
    // A tag deletion's tags are gone: they are created again by name (a tag of that name made
    // since is reused), and the undo restores those.
    const original = await findOriginal(tx, activity)
    if (original.kind === 'contacts_tags_delete' && original.tag_names) {
      const recreated = await ensureTagsByName(tx, activity.location_id, original.tag_names, lease.now)
      const byName = new Map(recreated.map((t) => [t.name, t.id]))
      const tagIds = original.tag_names.map((name) => byName.get(name) as string)
      requireLease(await setActivityTagIds(tx, activity, lease.owner, tagIds))
    }
    requireLease(
      await markActivityStarted(tx, activity, lease, { snapshotSeq: 0, itemsTotal: original.events_logged }),
    )
    return 'more'
  },

  async chunk(step) {
    const { tx, activity: undo, lease, settings, written } = step
    const locationId = undo.location_id
    const after = undo.cursor === null ? 0 : Number(undo.cursor)
    const changes = await listActivityChanges(tx, await findOriginal(tx, undo), after, settings.chunkSize)
    if (changes.length === 0) return finishCompleted(step)

    const tagIds = undo.tag_ids
    const tags = (await findTagsByIds(tx, locationId, tagIds)).sort(
      (a, b) => tagIds.indexOf(a.id) - tagIds.indexOf(b.id),
    )
    const idsByName = new Map(tags.map((t) => [t.name, t.id]))
    const namesById = new Map(tags.map((t) => [t.id, t.name]))
    const contactIds = changes.map((c) => c.contact_id)
    // Lock first, then read what happened since: a bulk request or activity changing one of these
    // contacts meanwhile either committed before (its events are read below) or waits for this
    // chunk. A contact not locked is deleted (its deletion took the same lock).
    const live = new Set(await lockLiveContacts(tx, locationId, contactIds))
    const laterByContact = groupBy(
      await listEventsAfterEach(tx, locationId, changes),
      (event) => event.contact_id,
    )
    const decisions = changes.map((change) =>
      decideUndo(
        { contactId: change.contact_id, ...tagChangeOf(change) },
        (laterByContact.get(change.contact_id) ?? []).filter((e) => e.id > change.id).map(tagChangeOf),
        !live.has(change.contact_id),
        idsByName,
      ),
    )

    const updates = await applyRestorations(tx, locationId, decisions, namesById)
    countUpdates(written, updates)
    const events = await recordContactTagUpdates(
      tx,
      locationId,
      updates,
      { source: ACTIVITY_SOURCE, activityId: undo.id },
      lease.now,
    )

    const skips = decisions.filter((d) => d.kind === 'skip')
    await recordSkippedContactsByReason(
      tx,
      undo,
      skips.map((s) => ({ contactId: s.contactId, reason: UNDO_SKIP_MESSAGES[s.reason] })),
    )
    const errors = reportedErrors(
      undo.errors,
      skips,
      (skip) => `contact ${skip.contactId} ${UNDO_SKIP_MESSAGES[skip.reason]}`,
    )
    requireLease(
      await recordChunkProgress(tx, undo, lease, {
        cursor: String(changes[changes.length - 1]?.id),
        processed: changes.length,
        skipped: skips.length,
        errors,
        events,
      }),
    )
    return 'more'
  },
}

/** The activity an undo reverts (kept while its undo exists: an activity is never deleted). */
async function findOriginal(tx: Db, undo: ActivityRow): Promise<ActivityRow> {
  const original = await findActivity(tx, undo.location_id, undo.undo_of as string)
  if (!original) throw new Error(`activity ${undo.undo_of} reverted by ${undo.id} is missing`)
  return original
}

/** Contacts needing the same restoration share one detach and one attach statement. */
async function applyRestorations(
  tx: Db,
  locationId: string,
  decisions: readonly UndoDecision[],
  namesById: ReadonlyMap<string, string>,
): Promise<ContactTagUpdate[]> {
  const groups = new Map<string, { remove: string[]; add: string[]; contacts: string[] }>()
  for (const decision of decisions) {
    if (decision.kind !== 'restore') continue
    const key = `${decision.remove.join(',')}|${decision.add.join(',')}`
    const group = groups.get(key) ?? { remove: decision.remove, add: decision.add, contacts: [] }
    group.contacts.push(decision.contactId)
    groups.set(key, group)
  }
  const byContact = new Map<string, { tagsAdded: string[]; tagsRemoved: string[] }>()
  const entry = (contactId: string) => {
    let change = byContact.get(contactId)
    if (!change) {
      change = { tagsAdded: [], tagsRemoved: [] }
      byContact.set(contactId, change)
    }
    return change
  }
  for (const group of groups.values()) {
    const range = keyRangeOf(group.contacts)
    for (const pair of await detachTags(tx, locationId, group.contacts, group.remove, range))
      entry(pair.contact_id).tagsRemoved.push(namesById.get(pair.tag_id) as string)
    for (const pair of await attachTags(tx, locationId, group.contacts, group.add))
      entry(pair.contact_id).tagsAdded.push(namesById.get(pair.tag_id) as string)
  }
  // Names in the activity's tag order, as the original activity logged them.
  const order = [...namesById.values()]
  const inOrder = (names: string[]) => names.sort((a, b) => order.indexOf(a) - order.indexOf(b))
  return [...byContact].map(([contactId, change]) => ({
    contactId,
    tagsAdded: inOrder(change.tagsAdded),
    tagsRemoved: inOrder(change.tagsRemoved),
  }))
}
