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
  options: { outcome?: ActivityOutcome; after?: ResultsPosition; limit: number },
): Promise<{ results: ActivityResult[]; next: ResultsPosition | null }> {
  await getActivity(database, locationId, activityId)
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

/** The CSV the CLI and the dashboard give: a header, then one line per result (tags `;`-joined). */
export const RESULTS_CSV_HEADER = 'contact_id,outcome,tags_added,tags_removed,reason\n'

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

export function resultAsCsvLine(r: ActivityResult): string {
  return `${[r.contactId, r.outcome, r.tagsAdded.join(';'), r.tagsRemoved.join(';'), r.reason ?? ''].map(csvField).join(',')}\n`
}
