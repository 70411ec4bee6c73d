import { LIST_MEMBERSHIP_ACTIVITY_KINDS } from '../domain/activities.js'
import type { ActivityRow } from '../store/activities.js'
import { listSkippedContacts } from '../store/activitySkips.js'
import type { Database } from '../store/database.js'
import { listActivityChanges, tagChangeOf } from '../store/events.js'
import { listMembershipChangesAfter } from '../store/listMemberships.js'
import { getActivity } from './activities.js'

export type ActivityOutcome = 'changed' | 'skipped'

/** What an activity did to one contact (Tagbase's own; Salesforce Bulk API-like results). */
export type ActivityResult = {
  contactId: string
  outcome: ActivityOutcome
  tagsAdded: string[]
  tagsRemoved: string[]
  /** List-membership activities: the lists the contact was put on or taken off. */
  listsAdded?: string[]
  listsRemoved?: string[]
  /** Why a skipped contact was left unchanged. */
  reason?: string
}

/**
 * Where a page of results ended: in the changes (an event id; for list-membership activities a
 * contact id, their log being in contact order) or in the skips.
 */
export type ResultsPosition =
  | { phase: 'changed'; afterEventId: number }
  | { phase: 'listed'; afterContactId: string }
  | { phase: 'skipped'; seq: number; index: number }

/**
 * A page of an activity's per-contact results: every contact it changed (from its events, in
 * order), then every contact it processed and left unchanged (with why). `outcome` keeps one kind.
 */
export async function activityResultsPage(
  database: Database,
  locationId: string,
  activityId: string,
  options: ResultsPageOptions,
): Promise<ResultsPage> {
  const activity = await getActivity(database, locationId, activityId)
  return readResultsPage(database, activity, options)
}

type ResultsPageOptions = { outcome?: ActivityOutcome; after?: ResultsPosition; limit: number }
type ResultsPage = { results: ActivityResult[]; next: ResultsPosition | null }

/** A page, the activity known to exist. */
async function readResultsPage(
  database: Database,
  activity: ActivityRow,
  options: ResultsPageOptions,
): Promise<ResultsPage> {
  const { location_id: locationId, id: activityId } = activity
  let after =
    options.after ?? (options.outcome === 'skipped' ? { phase: 'skipped', seq: 0, index: 0 } : undefined)
  let results: ActivityResult[] = []
  if (after === undefined || after.phase !== 'skipped') {
    const changed = LIST_MEMBERSHIP_ACTIVITY_KINDS.includes(activity.kind)
      ? await membershipChangesPage(database, activity, after, options.limit)
      : await tagChangesPage(database, activity, after, options.limit)
    results = changed.results
    if (changed.next) return changed
    if (options.outcome === 'changed') return { results, next: null }
    after = { phase: 'skipped', seq: 0, index: 0 }
  }
  const room = options.limit - results.length
  if (room === 0) return { results, next: after }
  const { skipped, next } = await listSkippedContacts(database, locationId, activityId, after, room)
  for (const { contactId, reason } of skipped)
    results.push({ contactId, outcome: 'skipped', tagsAdded: [], tagsRemoved: [], reason })
  return { results, next: next ? { phase: 'skipped', ...next } : null }
}

/** The contacts a tag activity changed, from its events; `next` only when the page is full. */
async function tagChangesPage(
  database: Database,
  activity: ActivityRow,
  after: ResultsPosition | undefined,
  limit: number,
): Promise<ResultsPage> {
  const afterEventId = after?.phase === 'changed' ? after.afterEventId : 0
  const changes = await listActivityChanges(database, activity, afterEventId, limit)
  const results: ActivityResult[] = changes.map((change) => {
    const { tagsAdded, tagsRemoved } = tagChangeOf(change)
    return {
      contactId: change.contact_id,
      outcome: 'changed',
      tagsAdded: [...tagsAdded],
      tagsRemoved: [...tagsRemoved],
    }
  })
  const last = changes.at(-1)
  return {
    results,
    next: changes.length === limit && last ? { phase: 'changed', afterEventId: last.id } : null,
  }
}

/** The contacts a list-membership activity changed, from its log, in contact id order. */
async function membershipChangesPage(
  database: Database,
  activity: ActivityRow,
  after: ResultsPosition | undefined,
  limit: number,
): Promise<ResultsPage> {
  const afterContactId = after?.phase === 'listed' ? after.afterContactId : ''
  const { changes, more } = await listMembershipChangesAfter(
    database,
    activity.location_id,
    activity.id,
    afterContactId,
    { contacts: limit, listsPerContact: activity.list_ids?.length ?? 1 },
  )
  const results: ActivityResult[] = changes.map((change) => ({
    contactId: change.contactId,
    outcome: 'changed',
    tagsAdded: [],
    tagsRemoved: [],
    listsAdded: change.added,
    listsRemoved: change.removed,
  }))
  const last = changes.at(-1)
  return {
    results,
    next: more && last ? { phase: 'listed', afterContactId: last.contactId } : null,
  }
}

/** A result as the /v3 route, the CLI's JSON Lines and the CSV columns name its fields. */
export function resultRecord(r: ActivityResult) {
  return {
    contact_id: r.contactId,
    outcome: r.outcome,
    tags_added: r.tagsAdded,
    tags_removed: r.tagsRemoved,
    ...(r.listsAdded ? { list_ids_added: r.listsAdded, list_ids_removed: r.listsRemoved ?? [] } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  }
}

const RESULTS_CSV_HEADER = 'contact_id,outcome,tags_added,tags_removed,reason\n'
const MEMBERSHIP_RESULTS_CSV_HEADER = 'contact_id,outcome,list_ids_added,list_ids_removed,reason\n'
const STREAM_PAGE = 1000

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

function resultAsCsvLine(r: ActivityResult): string {
  return `${[r.contactId, r.outcome, r.tagsAdded.join(';'), r.tagsRemoved.join(';'), r.reason ?? ''].map(csvField).join(',')}\n`
}

function membershipResultAsCsvLine(r: ActivityResult): string {
  const fields = [
    r.contactId,
    r.outcome,
    (r.listsAdded ?? []).join(';'),
    (r.listsRemoved ?? []).join(';'),
    r.reason ?? '',
  ]
  return `${fields.map(csvField).join(',')}\n`
}

/**
 * Every result of the activity as text, a page at a time: CSV with a header (tags `;`-joined), or
 * JSON Lines. The activity is looked up first, so an unknown one fails before anything is written.
 */
export async function streamActivityResults(
  database: Database,
  locationId: string,
  activityId: string,
  format: 'csv' | 'json',
  outcome?: ActivityOutcome,
): Promise<AsyncIterable<string>> {
  const activity = await getActivity(database, locationId, activityId)
  const memberships = LIST_MEMBERSHIP_ACTIVITY_KINDS.includes(activity.kind)
  return (async function* pages() {
    if (format === 'csv') yield memberships ? MEMBERSHIP_RESULTS_CSV_HEADER : RESULTS_CSV_HEADER
    let after: ResultsPosition | undefined
    do {
      const page = await readResultsPage(database, activity, {
        ...(outcome ? { outcome } : {}),
        ...(after ? { after } : {}),
        limit: STREAM_PAGE,
      })
      const lines = page.results.map((r) =>
        format === 'json'
          ? `${JSON.stringify(resultRecord(r))}\n`
          : memberships
            ? membershipResultAsCsvLine(r)
            : resultAsCsvLine(r),
      )
      if (lines.length > 0) yield lines.join('')
      after = page.next ?? undefined
    } while (after)
  })()
}
