import { groupBy } from '../domain/collections.js'
import type { ContactFields } from '../domain/contacts.js'
import { type ColumnMapping, importRow, mapColumns } from '../domain/csvImport.js'
import { newFirebaseId, normalizeEmail } from '../domain/index.js'
import { normalizePhone } from '../domain/phones.js'
import {
  type ContactKeys,
  type ContactRow,
  findLiveContactKeysByEmails,
  findLiveContactKeysByPhones,
  insertContacts,
  lockAndReadLiveContacts,
  type NewContactRow,
  refreshContactStatistics,
  updateContact as updateContactRow,
} from '../store/contacts.js'
import { attachTagPairs, attachTagPairsOfNewContacts, type ContactTagPair } from '../store/contactTags.js'
import type { Database, Db } from '../store/database.js'
import {
  type ContactTagUpdate,
  recordContactLifecycle,
  recordContactTagUpdates,
  recordTagUpdatesOfNewContacts,
} from '../store/events.js'
import { findPhoneCountry } from '../store/locations.js'
import { ensureTagsByName, holdTagsAgainstDeletion } from '../store/tags.js'
import { contactColumnsFor, newContactRow } from './contacts.js'

const IMPORT_SOURCE = 'tagbase.import'

/** A record of the file (the first one is the header), or one that could not be read. */
export type ImportRecord = { line: number; values: string[] } | { line: number; unreadable: string }
export type RejectedRow = { line: number; reason: string }
export type ImportSummary = {
  /** False when the file held no record at all (not even a header). */
  headerRead: boolean
  ignoredColumns: string[]
  created: number
  updated: number
  rejected: RejectedRow[]
  rejectedCount: number
}

/** Rejected rows reported one by one; beyond this only the count grows. */
const MAX_REPORTED_REJECTIONS = 1000

/**
 * Imports contact rows as they stream in: the first record names the columns; each row after it
 * is upserted on its email (or phone) and its tags are added (never removed), so running an
 * import twice changes nothing more. Rows are written in batches of IMPORT_BATCH_ROWS, one
 * transaction each. A row that cannot be read or imported is reported with its line and reason
 * (the report sorted by line), and the import goes on.
 */
export async function importContacts(
  database: Database,
  locationId: string,
  records: AsyncIterable<ImportRecord>,
  onRow: (summary: ImportSummary) => void = () => {},
  batchRows: number = IMPORT_BATCH_ROWS,
): Promise<ImportSummary> {
  const summary: ImportSummary = {
    headerRead: false,
    ignoredColumns: [],
    created: 0,
    updated: 0,
    rejected: [],
    rejectedCount: 0,
  }
  const reject = (line: number, reason: string) => {
    summary.rejectedCount += 1
    if (summary.rejected.length < MAX_REPORTED_REJECTIONS) summary.rejected.push({ line, reason })
  }
  let mapping: ColumnMapping | undefined
  let batch: ImportableRow[] = []
  let batchesWritten = 0
  const flush = async () => {
    let rows = batch
    batch = []
    while (rows.length > 0) {
      const { written, created } = await writeImportBatch(database, locationId, rows).catch(
        (error: Error) => {
          // Batches before this one are committed; this one is rolled back whole.
          throw new Error(`import stopped at the rows from line ${rows[0]?.line}: ${error.message}`, {
            cause: error,
          })
        },
      )
      summary.created += created
      summary.updated += written - created
      rows = rows.slice(written)
      batchesWritten += 1
      if (STATISTICS_REFRESH_AFTER_BATCHES.includes(batchesWritten) || batchesWritten % 50 === 0)
        await refreshContactStatistics(database)
    }
    onRow(summary)
  }
  for await (const record of records) {
    if ('unreadable' in record) reject(record.line, record.unreadable)
    else if (!mapping) {
      mapping = mapColumns(record.values)
      summary.headerRead = true
      summary.ignoredColumns = mapping.ignored
    } else {
      const row = importRow(record.values, mapping)
      if (!row.ok) reject(record.line, row.reason)
      else batch.push({ line: record.line, fields: row.fields, tags: row.tags })
      if (batch.length >= batchRows) await flush()
    }
  }
  await flush()
  // A stream parser reads ahead, so an unreadable record can arrive before rows above it.
  summary.rejected.sort((a, b) => a.line - b.line)
  return summary
}

/** Rows written per transaction: few commits, and well within both engines' parameter limits. */
export const IMPORT_BATCH_ROWS = 1000

/** When to refresh the planner's statistics while an import grows the tables (PostgreSQL). */
const STATISTICS_REFRESH_AFTER_BATCHES = [1, 4, 16]

type ImportableRow = { line: number; fields: ContactFields; tags: string[] }

/** The first row per key, keeping the order given (oldest contact first). */
function firstByKey(
  rows: readonly ContactKeys[],
  key: (row: ContactKeys) => string | null,
): Map<string, ContactKeys> {
  const map = new Map<string, ContactKeys>()
  for (const row of rows) {
    const k = key(row)
    if (k !== null && !map.has(k)) map.set(k, row)
  }
  return map
}

/**
 * Writes a prefix of `rows` (at least one) in one transaction, with the result row-by-row upserts
 * would have: matches are read for the whole batch at once, so the prefix stops before a row
 * that shares an email or phone with an earlier row of the batch, or matches a contact an
 * earlier row already changed (that row's match depends on the earlier row's write).
 * New contacts are one INSERT; every row's tags are added in one more (see addImportedTags).
 */
async function writeImportBatch(
  database: Database,
  locationId: string,
  given: readonly ImportableRow[],
): Promise<{ written: number; created: number }> {
  const now = new Date().toISOString()
  return database.transaction(async (tx) => {
    // Phones as stored and matched (E.164 where they read as one), like every other writer.
    const country = await findPhoneCountry(tx, locationId)
    const rows = given.map((row) =>
      row.fields.phone
        ? { ...row, fields: { ...row.fields, phone: normalizePhone(row.fields.phone, country) } }
        : row,
    )
    const emails = [...new Set(rows.map((r) => normalizeEmail(r.fields.email)).filter((e) => e !== null))]
    const phones = [...new Set(rows.map((r) => r.fields.phone ?? null).filter((p) => p !== null))]
    const byEmail = firstByKey(
      await findLiveContactKeysByEmails(tx, locationId, emails),
      (c) => c.email_lower,
    )
    const byPhone = firstByKey(await findLiveContactKeysByPhones(tx, locationId, phones), (c) => c.phone)

    const seenEmails = new Set<string>()
    const seenPhones = new Set<string>()
    const claimed = new Set<string>()
    const plan: Array<{ row: ImportableRow; existing: ContactKeys | undefined }> = []
    for (const row of rows) {
      const email = normalizeEmail(row.fields.email)
      const phone = row.fields.phone ?? null
      const existing = (email ? byEmail.get(email) : undefined) ?? (phone ? byPhone.get(phone) : undefined)
      const dependsOnEarlier =
        (email !== null && seenEmails.has(email)) ||
        (phone !== null && seenPhones.has(phone)) ||
        (existing !== undefined && claimed.has(existing.id))
      if (dependsOnEarlier) break
      plan.push({ row, existing })
      if (email !== null) seenEmails.add(email)
      if (phone !== null) seenPhones.add(phone)
      if (existing) claimed.add(existing.id)
    }

    // Lock, then write from what the lock read: a matched contact may have changed since the
    // lookup, or been deleted (then the row makes a new contact, as it would have then).
    const current = new Map(
      (await lockAndReadLiveContacts(tx, locationId, [...claimed])).map((c) => [c.id, c] as const),
    )
    const created: NewContactRow[] = []
    const contactIds: string[] = []
    for (const { row, existing: matched } of plan) {
      const existing = matched ? current.get(matched.id) : undefined
      if (existing) {
        const patch = contactColumnsFor(row.fields, existing)
        // A row that says what the contact already holds is not a change (re-imports stay cheap).
        if (
          Object.entries(patch).some(
            ([column, value]) => !sameValue(existing[column as keyof ContactRow], value),
          )
        ) {
          await updateContactRow(tx, locationId, existing.id, { ...patch, updated_at: now })
        }
        contactIds.push(existing.id)
      } else {
        const contact = newContactRow(locationId, newFirebaseId(), row.fields, now)
        created.push(contact)
        contactIds.push(contact.id)
      }
    }
    const createdIds = new Set(created.map((c) => c.id))
    await recordContactLifecycle(tx, locationId, [...createdIds], 'ContactCreate', IMPORT_SOURCE, now)
    const rowsTagged = plan.map((p, i) => ({ contactId: contactIds[i] as string, tags: p.row.tags }))
    const idByName = await tagIdsByName(tx, locationId, rowsTagged, now)
    const newRows = rowsTagged.filter((r) => createdIds.has(r.contactId))
    // A new contact's tags are all added (there can be no pair of it yet), so its event is known
    // before it exists: written first, it is inserted pointing at it (no second write of the row).
    // The event names the tags before their rows exist: no deletion of them may come between.
    const newPairs = tagPairsOf(newRows, idByName)
    await holdTagsAgainstDeletion(tx, locationId, [...new Set(newPairs.map((p) => p.tag_id))])
    const eventOf = await recordTagUpdatesOfNewContacts(
      tx,
      locationId,
      newRows
        .filter((r) => r.tags.length > 0)
        .map((r) => ({ contactId: r.contactId, tagsAdded: r.tags, tagsRemoved: [] })),
      { source: IMPORT_SOURCE },
      now,
    )
    // Set in place: a spread copy of these 28-column rows got a map of its own in V8 past the
    // first few dozen, and the insert's reads of 1000 differently shaped rows went megamorphic.
    for (const contact of created) contact.last_tag_event_id = eventOf.get(contact.id) ?? null
    await insertContacts(tx, created)
    await attachTagPairsOfNewContacts(tx, locationId, newPairs)
    await addTagsToExisting(
      tx,
      locationId,
      rowsTagged.filter((r) => !createdIds.has(r.contactId)),
      idByName,
      now,
    )
    return { written: plan.length, created: created.length }
  })
}

type TaggedRow = { contactId: string; tags: readonly string[] }

/** The ids of the tags the rows name, creating the missing ones. */
async function tagIdsByName(
  tx: Db,
  locationId: string,
  rows: readonly TaggedRow[],
  now: string,
): Promise<Map<string, string>> {
  const names = [...new Set(rows.flatMap((r) => r.tags))]
  if (names.length === 0) return new Map()
  return new Map((await ensureTagsByName(tx, locationId, names, now)).map((t) => [t.name, t.id]))
}

function tagPairsOf(rows: readonly TaggedRow[], idByName: ReadonlyMap<string, string>): ContactTagPair[] {
  return rows.flatMap((row) =>
    row.tags.map((name) => ({ contact_id: row.contactId, tag_id: idByName.get(name) as string })),
  )
}

/**
 * Adds existing contacts their rows' tags, and logs one event per contact that gained any, naming
 * them in the row's order (a row's tags are normalised, each once). Tags are only ever added, so
 * what the contacts carried before is not read: the insert, which skips the pairs present,
 * returns exactly what it added.
 */
async function addTagsToExisting(
  tx: Db,
  locationId: string,
  rows: readonly TaggedRow[],
  idByName: ReadonlyMap<string, string>,
  now: string,
): Promise<void> {
  const added = await attachTagPairs(tx, locationId, tagPairsOf(rows, idByName))
  const addedByContact = groupBy(
    added,
    (pair) => pair.contact_id,
    (pair) => pair.tag_id,
  )
  const updates: ContactTagUpdate[] = []
  for (const row of rows) {
    const tagIds = addedByContact.get(row.contactId)
    if (!tagIds) continue
    const gained = new Set(tagIds)
    updates.push({
      contactId: row.contactId,
      tagsAdded: row.tags.filter((name) => gained.has(idByName.get(name) as string)),
      tagsRemoved: [],
    })
  }
  await recordContactTagUpdates(tx, locationId, updates, { source: IMPORT_SOURCE }, now)
}

/** Column values compare by value; `extra` (an object) by its JSON. */
function sameValue(stored: unknown, given: unknown): boolean {
  if (typeof stored === 'object' && stored !== null && typeof given === 'object' && given !== null)
    return JSON.stringify(stored) === JSON.stringify(given)
  return stored === given
}
