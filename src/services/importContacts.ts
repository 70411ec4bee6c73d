import { type ColumnMapping, importRow, mapColumns } from '../domain/csvImport.js'
import type { Database } from '../store/database.js'
import { editContactTags, upsertContact } from './contacts.js'
import { ServiceError } from './errors.js'

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
 * import twice changes nothing more. A row that cannot be read or imported is reported with its
 * line and reason (the report sorted by line), and the import goes on.
 */
export async function importContacts(
  database: Database,
  locationId: string,
  records: AsyncIterable<ImportRecord>,
  onRow: (summary: ImportSummary) => void = () => {},
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
  for await (const record of records) {
    if ('unreadable' in record) reject(record.line, record.unreadable)
    else if (!mapping) {
      mapping = mapColumns(record.values)
      summary.headerRead = true
      summary.ignoredColumns = mapping.ignored
      continue
    } else await importOne(database, locationId, record, mapping, summary, reject)
    onRow(summary)
  }
  // A stream parser reads ahead, so an unreadable record can arrive before rows above it.
  summary.rejected.sort((a, b) => a.line - b.line)
  return summary
}

async function importOne(
  database: Database,
  locationId: string,
  record: { line: number; values: string[] },
  mapping: ColumnMapping,
  summary: ImportSummary,
  reject: (line: number, reason: string) => void,
): Promise<void> {
  const row = importRow(record.values, mapping)
  if (!row.ok) return reject(record.line, row.reason)
  try {
    const { created, contact } = await upsertContact(database, locationId, row.fields, 'tagbase.import')
    if (row.tags.length > 0)
      await editContactTags(database, locationId, contact.id, 'add', row.tags, 'tagbase.import')
    if (created) summary.created += 1
    else summary.updated += 1
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error
    reject(record.line, error.message)
  }
}
