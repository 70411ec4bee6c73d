import { listSkippedContacts } from '../store/activitySkips.js'
import type { Database } from '../store/database.js'
import { listActivityChanges, tagChangeOf } from '../store/events.js'
import { getActivity } from './activities.js'

export type ActivityOutcome = 'changed' | 'skipped'

/** What an activity did to one contact (Tagbase's own; Salesforce Bulk API-like results). */
export type ActivityResult = {
  contactId: string
  outcome: ActivityOutcome
  tagsAdded: string[]
  tagsRemoved: string[]
  /** Why a skipped contact was left unchanged. */
  reason?: string
}

/** Where a page of results ended: in the changes (an event id) or in the skips. */
export type ResultsPosition =
  | { phase: 'changed'; afterEventId: number }
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
  await getActivity(database, locationId, activityId)
  return readResultsPage(database, locationId, activityId, options)
}

type ResultsPageOptions = { outcome?: ActivityOutcome; after?: ResultsPosition; limit: number }
type ResultsPage = { results: ActivityResult[]; next: ResultsPosition | null }

/** A page, the activity known to exist. */
async function readResultsPage(
  database: Database,
  locationId: string,
  activityId: string,
  options: ResultsPageOptions,
): Promise<ResultsPage> {
  const results: ActivityResult[] = []
  let after =
    options.after ?? (options.outcome === 'skipped' ? { phase: 'skipped', seq: 0, index: 0 } : undefined)
  if (after === undefined || after.phase === 'changed') {
    const afterEventId = after?.afterEventId ?? 0
    const changes = await listActivityChanges(database, locationId, activityId, afterEventId, options.limit)
    for (const change of changes) {
      const { tagsAdded, tagsRemoved } = tagChangeOf(change)
      results.push({
        contactId: change.contact_id,
        outcome: 'changed',
        tagsAdded: [...tagsAdded],
        tagsRemoved: [...tagsRemoved],
      })
    }
    const last = changes.at(-1)
    if (changes.length === options.limit && last)
      return { results, next: { phase: 'changed', afterEventId: last.id } }
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

/** A result as the /v3 route, the CLI's JSON Lines and the CSV columns name its fields. */
export function resultRecord(r: ActivityResult) {
  return {
    contact_id: r.contactId,
    outcome: r.outcome,
    tags_added: r.tagsAdded,
    tags_removed: r.tagsRemoved,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
  }
}

const RESULTS_CSV_HEADER = 'contact_id,outcome,tags_added,tags_removed,reason\n'
const STREAM_PAGE = 1000

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

function resultAsCsvLine(r: ActivityResult): string {
  return `${[r.contactId, r.outcome, r.tagsAdded.join(';'), r.tagsRemoved.join(';'), r.reason ?? ''].map(csvField).join(',')}\n`
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
  await getActivity(database, locationId, activityId)
  return (async function* pages() {
    if (format === 'csv') yield RESULTS_CSV_HEADER
    let after: ResultsPosition | undefined
    do {
      const page = await readResultsPage(database, locationId, activityId, {
        ...(outcome ? { outcome } : {}),
        ...(after ? { after } : {}),
        limit: STREAM_PAGE,
      })
      const lines = page.results.map((r) =>
        format === 'json' ? `${JSON.stringify(resultRecord(r))}\n` : resultAsCsvLine(r),
      )
      if (lines.length > 0) yield lines.join('')
      after = page.next ?? undefined
    } while (after)
  })()
}
