import { type ColumnMapping, importRow } from '../domain/csvImport.js'
import type { Database } from '../store/database.js'
import { editContactTags, upsertContact } from './contacts.js'
import { ServiceError } from './errors.js'

export type ImportRecord = { line: number; values: string[] }
export type RejectedRow = { line: number; reason: string }
export type ImportSummary = {
  created: number
  updated: number
  rejected: RejectedRow[]
  rejectedCount: number
}

/** Rejected rows reported one by one; beyond this only the count grows. */
const MAX_REPORTED_REJECTIONS = 1000

/**
 * Imports contact rows as they stream in: each row is upserted on its email (or phone) and its
 * tags are added (never removed), so running an import twice changes nothing more. A row that
 * cannot be imported is reported with its line and reason and the import goes on.
 */
export async function importContacts(
  database: Database,
  locationId: string,
  mapping: ColumnMapping,
  records: AsyncIterable<ImportRecord>,
  onRow: (summary: ImportSummary) => void = () => {},
): Promise<ImportSummary> {
  const summary: ImportSummary = { created: 0, updated: 0, rejected: [], rejectedCount: 0 }
  const reject = (line: number, reason: string) => {
    summary.rejectedCount += 1
    if (summary.rejected.length < MAX_REPORTED_REJECTIONS) summary.rejected.push({ line, reason })
  }
  for await (const { line, values } of records) {
    const row = importRow(values, mapping)
    if (!row.ok) reject(line, row.reason)
    else {
      try {
        const { created, contact } = await upsertContact(database, locationId, row.fields, 'tagbase.import')
        if (row.tags.length > 0)
          await editContactTags(database, locationId, contact.id, 'add', row.tags, 'tagbase.import')
        if (created) summary.created += 1
        else summary.updated += 1
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error
        reject(line, error.message)
      }
    }
    onRow(summary)
  }
  return summary
}
