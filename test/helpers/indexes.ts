import { sql } from 'kysely'
import type { TestDatabase } from './databases.js'

/** Each table's index definitions (CREATE INDEX statements, whitespace folded), by table name. */
export async function indexDefinitions(t: TestDatabase): Promise<Map<string, string[]>> {
  const rows =
    t.database.dialect === 'postgres'
      ? (
          await sql<{ table: string; definition: string }>`
            select tablename as "table", indexdef as definition from pg_indexes where schemaname = current_schema()`.execute(
            t.database.kysely,
          )
        ).rows.map((r) => ({ ...r, definition: r.definition.replaceAll(`${t.searchPath}.`, '') }))
      : (
          await sql<{ table: string; definition: string | null }>`
            select tbl_name as "table", coalesce(sql, name) as definition from sqlite_master where type = 'index'`.execute(
            t.database.kysely,
          )
        ).rows.map((r) => ({ table: r.table, definition: r.definition ?? '' }))
  const byTable = new Map<string, string[]>()
  for (const row of rows) {
    if (row.table.startsWith('kysely_')) continue
    byTable.set(row.table, [...(byTable.get(row.table) ?? []), row.definition.replace(/\s+/g, ' ')])
  }
  return byTable
}
