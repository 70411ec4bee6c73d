import { randomUUID } from 'node:crypto'
import {
  type ActivityKind,
  type ActivityState,
  DEFAULT_ACTIVITY_SETTINGS,
  isTerminalActivityState,
  percentDone,
  UNDOABLE_ACTIVITY_KINDS,
} from '../domain/activities.js'
import type { ContactSelector } from '../domain/selectors.js'
import { normalizeTagList } from '../domain/tags.js'
import {
  type ActivityPosition,
  type ActivityRow,
  cancelActivity as cancelActivityRow,
  findActivity,
  insertActivity,
  listActivities as listActivityRows,
  type NewActivity,
} from '../store/activities.js'
import type { Database } from '../store/database.js'
import { findListsByIds } from '../store/lists.js'
import {
  countMembershipChanges,
  countTagChanges,
  latestContactCreationOrder,
  type SelectionScope,
} from '../store/selection.js'
import { ensureTagsByName, findTagsByIds, findTagsByName } from '../store/tags.js'
import { ServiceError } from './errors.js'

export type TaggingActivityInput = {
  kind: 'contacts_taggings_add' | 'contacts_taggings_remove'
  selector: ContactSelector
  tagIds: readonly string[]
}

/** Refuses ids a request names that are not `what` of this account (400, naming them). */
function refuseUnknownIds(
  field: string,
  what: 'tags' | 'lists',
  ids: readonly string[],
  found: ReadonlyArray<{ id: string }>,
): void {
  const known = new Set(found.map((row) => row.id))
  const missing = ids.filter((id) => !known.has(id))
  if (missing.length > 0)
    throw new ServiceError(
      'invalid-activity',
      `${field} contains ids that are not ${what} of this account: ${missing.join(', ')}`,
      { field },
    )
}

async function requireExistingTags(
  database: Database,
  locationId: string,
  tagIds: readonly string[],
  field: string,
) {
  refuseUnknownIds(field, 'tags', tagIds, await findTagsByIds(database, locationId, tagIds))
}

/**
 * The tags to apply, and the tags or lists a source names, must exist: an unknown id is a
 * mistake the caller should hear about (400), not an activity over nobody. Unknown contact ids are
 * reported by the activity itself (see activityKinds/tagging.ts).
 */
async function requireExistingSources(database: Database, locationId: string, input: TaggingActivityInput) {
  await requireExistingTags(database, locationId, input.tagIds, 'tag_ids')
  await requireExistingSelectorSources(database, locationId, input.selector)
}

async function requireExistingSelectorSources(
  database: Database,
  locationId: string,
  selector: ContactSelector,
) {
  if (selector.kind === 'tag_ids')
    await requireExistingTags(database, locationId, selector.tagIds, 'source.tag_ids')
  if (selector.kind === 'list_ids')
    await requireExistingLists(database, locationId, selector.listIds, 'source.list_ids')
}

async function requireExistingLists(
  database: Database,
  locationId: string,
  listIds: readonly string[],
  field: string,
) {
  refuseUnknownIds(field, 'lists', listIds, await findListsByIds(database, locationId, listIds))
}

function newActivity(
  locationId: string,
  kind: ActivityKind,
  tagIds: readonly string[],
  selector: ContactSelector | null,
): NewActivity {
  const now = new Date().toISOString()
  return {
    location_id: locationId,
    id: randomUUID(),
    kind,
    state: 'initialized',
    tag_ids: tagIds,
    selector,
    items_completed: 0,
    created_at: now,
    updated_at: now,
  }
}

/** Queues an add/remove tagging activity; workers pick it up. Tags (and a tag_ids source) must exist. */
export async function createTaggingActivity(
  database: Database,
  locationId: string,
  input: TaggingActivityInput,
): Promise<ActivityRow> {
  await requireExistingSources(database, locationId, input)
  return insertActivity(database, newActivity(locationId, input.kind, input.tagIds, input.selector))
}

/** The contacts an activity over `selector` would cover if it started now (what a dry run counts). */
async function scopeStartingNow(
  database: Database,
  locationId: string,
  selector: ContactSelector,
  newSubscriberDays: number,
): Promise<SelectionScope> {
  return {
    locationId,
    selector,
    snapshotSeq: await latestContactCreationOrder(database, locationId),
    newSubscriberSince: new Date(Date.now() - newSubscriberDays * 86_400_000).toISOString(),
  }
}

export type TaggingPreview = { itemsTotal: number; contactsToChange: number; taggingsToChange: number }

/**
 * What a tagging activity created now would do, written nowhere: the contacts it would cover,
 * how many of them would change, and how many tag rows would be added or removed.
 */
export async function previewTaggingActivity(
  database: Database,
  locationId: string,
  input: TaggingActivityInput,
  newSubscriberDays: number = DEFAULT_ACTIVITY_SETTINGS.newSubscriberDays,
): Promise<TaggingPreview> {
  await requireExistingSources(database, locationId, input)
  const scope = await scopeStartingNow(database, locationId, input.selector, newSubscriberDays)
  const operation = input.kind === 'contacts_taggings_add' ? 'add' : 'remove'
  const changes = await countTagChanges(database, scope, [...new Set(input.tagIds)], operation)
  return {
    itemsTotal: changes.selected,
    contactsToChange: changes.contacts,
    taggingsToChange: changes.rows,
  }
}

export type ListMembershipActivityInput = {
  kind: 'add_list_memberships' | 'remove_list_memberships'
  selector: ContactSelector
  listIds: readonly string[]
}

/**
 * Queues putting the selector's contacts on lists, or taking them off; workers pick it up. The
 * lists (and a source's tags or lists) must exist.
 */
export async function createListMembershipActivity(
  database: Database,
  locationId: string,
  input: ListMembershipActivityInput,
): Promise<ActivityRow> {
  await requireExistingLists(database, locationId, input.listIds, 'list_ids')
  await requireExistingSelectorSources(database, locationId, input.selector)
  return insertActivity(database, {
    ...newActivity(locationId, input.kind, [], input.selector),
    list_ids: input.listIds,
  })
}

export type ListMembershipPreview = {
  itemsTotal: number
  contactsToChange: number
  membershipsToChange: number
}

/** What a list-membership activity created now would do, written nowhere (as previewTaggingActivity). */
export async function previewListMembershipActivity(
  database: Database,
  locationId: string,
  input: ListMembershipActivityInput,
  newSubscriberDays: number = DEFAULT_ACTIVITY_SETTINGS.newSubscriberDays,
): Promise<ListMembershipPreview> {
  await requireExistingLists(database, locationId, input.listIds, 'list_ids')
  await requireExistingSelectorSources(database, locationId, input.selector)
  const scope = await scopeStartingNow(database, locationId, input.selector, newSubscriberDays)
  const operation = input.kind === 'add_list_memberships' ? 'add' : 'remove'
  const changes = await countMembershipChanges(database, scope, [...new Set(input.listIds)], operation)
  return {
    itemsTotal: changes.selected,
    contactsToChange: changes.contacts,
    membershipsToChange: changes.rows,
  }
}

/** Queues deletion of tags: each is taken off every contact, then deleted. */
export async function createTagDeleteActivity(
  database: Database,
  locationId: string,
  tagIds: readonly string[],
): Promise<ActivityRow> {
  await requireExistingTags(database, locationId, tagIds, 'tag_ids')
  // The names are kept so an undo can recreate the tags (their ids go with them).
  const tags = await findTagsByIds(database, locationId, tagIds)
  const byId = new Map(tags.map((t) => [t.id, t.name]))
  return insertActivity(database, {
    ...newActivity(locationId, 'contacts_tags_delete', tagIds, null),
    tag_names: tagIds.map((id) => byId.get(id) as string),
  })
}

export async function getActivity(database: Database, locationId: string, id: string): Promise<ActivityRow> {
  const row = await findActivity(database, locationId, id)
  if (!row) throw new ServiceError('activity-not-found', 'Activity not found')
  return row
}

export async function listActivities(
  database: Database,
  locationId: string,
  options: { limit: number; state?: ActivityState; after?: ActivityPosition },
): Promise<ActivityRow[]> {
  return listActivityRows(database, locationId, options)
}

/** Native cancel (not in the vendors' APIs): stops an activity; chunks already applied stay applied. */
export async function cancelActivity(
  database: Database,
  locationId: string,
  id: string,
): Promise<ActivityRow> {
  const cancelled = await cancelActivityRow(database, locationId, id, new Date().toISOString())
  if (cancelled) return cancelled
  const existing = await getActivity(database, locationId, id)
  throw new ServiceError('activity-finished', `Activity is already ${existing.state}`)
}

/**
 * Tag ids for tag names, for callers that name tags (the CLI): adding creates missing tags,
 * removing refuses names the location does not have.
 */
export async function tagIdsForNames(
  database: Database,
  locationId: string,
  kind: TaggingActivityInput['kind'],
  rawNames: readonly string[],
): Promise<string[]> {
  const normalized = normalizeTagList(rawNames)
  if (!normalized.ok || normalized.names.length === 0)
    throw new ServiceError('invalid-tag-name', 'tag names must be 1 to 255 characters')
  const tags =
    kind === 'contacts_taggings_add'
      ? await ensureTagsByName(database, locationId, normalized.names, new Date().toISOString())
      : await findTagsByName(database, locationId, normalized.names)
  const byName = new Map(tags.map((t) => [t.name, t.id]))
  const missing = normalized.names.filter((n) => !byName.has(n))
  if (missing.length > 0)
    throw new ServiceError('invalid-activity', `no such tags in this location: ${missing.join(', ')}`)
  return normalized.names.map((n) => byName.get(n) as string)
}

export type ActivitySummary = {
  activityId: string
  kind: string
  state: ActivityState
  percentDone: number
  itemsTotal: number | null
  itemsCompleted: number
  /** The tags it adds, removes or deletes; `tagNames` only where the tags may be gone (a deletion). */
  tagIds: string[]
  tagNames?: string[]
  /** The lists a list-membership activity (or its undo) works on. */
  listIds?: string[]
  undoOf?: string
  itemsSkipped?: number
  createdAt: string
  completedAt: string | null
  /** In a terminal state: it changes no more. */
  finished: boolean
  /** A completed add/remove activity, which an undo may revert (unless undone already). */
  undoable: boolean
}

/** An activity as operators see it (CLI and dashboard): progress in Constant Contact's terms. */
export function summarizeActivity(row: ActivityRow): ActivitySummary {
  const state = row.state
  return {
    activityId: row.id,
    kind: row.kind,
    state,
    percentDone: percentDone(state, row.items_total, row.items_completed),
    itemsTotal: row.items_total,
    itemsCompleted: row.items_completed,
    tagIds: row.tag_ids,
    // Kept by tag deletions (their tags are gone); other activities' names come from their tags.
    ...(row.tag_names ? { tagNames: row.tag_names } : {}),
    ...(row.list_ids ? { listIds: row.list_ids } : {}),
    ...(row.undo_of ? { undoOf: row.undo_of, itemsSkipped: row.items_skipped } : {}),
    createdAt: row.created_at,
    completedAt: row.completed_at,
    finished: isTerminalActivityState(state),
    undoable: state === 'completed' && UNDOABLE_ACTIVITY_KINDS.includes(row.kind),
  }
}
