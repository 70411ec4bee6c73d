import { randomUUID } from 'node:crypto'
import {
  type ActivityState,
  TERMINAL_ACTIVITY_STATES,
  UNDOABLE_ACTIVITY_KINDS,
} from '../domain/activities.js'
import { groupBy } from '../domain/collections.js'
import { decideUndo, UNDO_SKIP_MESSAGES, type UndoDecision } from '../domain/undo.js'
import {
  type ActivityRow,
  findActivity,
  findLiveUndoOf,
  insertActivity,
  type Lease,
  markActivityStarted,
  recordChunkProgress,
} from '../store/activities.js'
import { touchContacts } from '../store/contacts.js'
import { attachTags, detachTags, keyRangeOf } from '../store/contactTags.js'
import type { Database, Db } from '../store/database.js'
import {
  appendContactTagUpdates,
  type ContactTagUpdate,
  countActivityEvents,
  listEventsOfContactsAfter,
  selectActivityEventChunk,
  tagChangeOf,
} from '../store/events.js'
import { findTagsByIds } from '../store/tags.js'
import { ServiceError } from './errors.js'
import { countUpdates, type WrittenRows } from './writtenRows.js'

/** Contacts named one by one in an undo's errors; beyond this only the count grows. */
const MAX_REPORTED_SKIPS = 100

/**
 * Queues an undo of a finished add/remove activity: each contact it changed gets those tags
 * back as they were, unless the contact changed again since (reported, not overwritten).
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
        `Only contacts_taggings_add and contacts_taggings_remove activities can be undone, not ${original.kind}`,
      )
    if (!TERMINAL_ACTIVITY_STATES.includes(original.state))
      throw new ServiceError(
        'activity-not-undoable',
        `Activity is still ${original.state}; cancel it or let it finish first`,
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
    return insertActivity(tx, {
      location_id: locationId,
      id: randomUUID(),
      kind: 'contacts_taggings_undo',
      state: 'initialized' satisfies ActivityState,
      tag_ids: original.tag_ids,
      selector: null,
      undo_of: original.id,
      items_completed: 0,
      errors: '[]',
      created_at: now,
      updated_at: now,
    })
  })
}

/** Start of an undo: it covers one contact per event the original activity logged. */
export async function startUndo(tx: Db, undo: ActivityRow, lease: Lease): Promise<boolean> {
  const itemsTotal = await countActivityEvents(tx, undo.location_id, undo.undo_of as string)
  return markActivityStarted(tx, undo, lease, { snapshotSeq: 0, itemsTotal })
}

/**
 * One chunk of an undo, in the caller's transaction: the next events of the original activity,
 * each decided against the contact's later events, the restorations applied set-based (one
 * statement per distinct tag set), their own events logged, the cursor moved. Returns 'done'
 * when no events are left, false when the lease was lost.
 */
export async function runUndoChunk(
  tx: Db,
  undo: ActivityRow,
  lease: Lease,
  chunkSize: number,
  written: WrittenRows,
): Promise<'more' | 'done' | false> {
  const locationId = undo.location_id
  const after = undo.cursor === null ? 0 : Number(undo.cursor)
  const changes = await selectActivityEventChunk(tx, locationId, undo.undo_of as string, after, chunkSize)
  if (changes.length === 0) return 'done'

  const tagIds = JSON.parse(undo.tag_ids) as string[]
  const tags = (await findTagsByIds(tx, locationId, tagIds)).sort(
    (a, b) => tagIds.indexOf(a.id) - tagIds.indexOf(b.id),
  )
  const idsByName = new Map(tags.map((t) => [t.name, t.id]))
  const namesById = new Map(tags.map((t) => [t.id, t.name]))
  const contactIds = changes.map((c) => c.contact_id)
  const laterByContact = groupBy(
    await listEventsOfContactsAfter(tx, locationId, contactIds, changes[0]?.id as number),
    (event) => event.contact_id,
  )
  const decisions = changes.map((change) =>
    decideUndo(
      { contactId: change.contact_id, ...tagChangeOf(change) },
      (laterByContact.get(change.contact_id) ?? []).filter((e) => e.id > change.id).map(tagChangeOf),
      change.contact_deleted,
      idsByName,
    ),
  )

  const updates = await applyRestorations(tx, locationId, decisions, namesById, lease.now)
  countUpdates(written, updates)
  await appendContactTagUpdates(
    tx,
    locationId,
    updates,
    { source: 'tagbase.undo', activityId: undo.id },
    lease.now,
  )
  const touched = updates.map((u) => u.contactId)
  await touchContacts(tx, locationId, touched, lease.now, keyRangeOf(touched))

  const skips = decisions.filter((d) => d.kind === 'skip')
  const errors = JSON.parse(undo.errors) as string[]
  for (const skip of skips.slice(0, Math.max(0, MAX_REPORTED_SKIPS - errors.length)))
    errors.push(`contact ${skip.contactId} ${UNDO_SKIP_MESSAGES[skip.reason]}`)
  const recorded = await recordChunkProgress(tx, undo, lease, {
    cursor: String(changes[changes.length - 1]?.id),
    processed: changes.length,
    skipped: skips.length,
    errors,
  })
  return recorded ? 'more' : false
}

/** Contacts needing the same restoration share one detach and one attach statement. */
async function applyRestorations(
  tx: Db,
  locationId: string,
  decisions: readonly UndoDecision[],
  namesById: ReadonlyMap<string, string>,
  now: string,
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
    for (const pair of await attachTags(tx, locationId, group.contacts, group.add, now, range))
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
