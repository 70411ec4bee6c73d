import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, DIALECTS, type TestDatabase } from '../helpers/databases.js'

/**
 * The schema stays shardable by tenant: Citus (sharded PostgreSQL) can distribute every tenant
 * table by `location_id` only if each primary key and unique index of the table contains the
 * distribution column (we require it first, so each key is also a per-tenant range) and each
 * foreign key between distributed tables includes it. Tables read before the tenant is known are
 * small and become Citus reference tables (copied to every node); they may not point into
 * distributed tables. PostgreSQL only: SQLite is one file, never sharded.
 */
const REFERENCE_TABLES: Record<string, string> = {
  locations: 'the tenants themselves; every tenant table points here',
  access_tokens: 'a request is authenticated by its token hash before its location is known',
  operator_credentials: 'operators are not tenants',
  signing_keys: 'one webhook signing key set for the whole installation',
}

type Key = {
  table: string
  name: string
  kind: 'primary' | 'unique' | 'foreign'
  columns: string[]
  references: string | null
}

async function keysOf(t: TestDatabase): Promise<Key[]> {
  const indexes = await sql<{ table: string; name: string; primary: boolean; columns: string[] }>`
    select t.relname as "table", i.relname as name, x.indisprimary as primary,
           array(select a.attname from unnest(x.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
                 order by k.ord)::text[] as columns
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and x.indisunique and t.relname not like 'kysely_%'`.execute(
    t.database.kysely,
  )
  const foreign = await sql<{ table: string; name: string; columns: string[]; references: string }>`
    select t.relname as "table", c.conname as name, r.relname as "references",
           array(select a.attname from unnest(c.conkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
                 order by k.ord)::text[] as columns
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join pg_class r on r.oid = c.confrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = current_schema() and c.contype = 'f'`.execute(t.database.kysely)
  return [
    ...indexes.rows.map((r) => ({
      table: r.table,
      name: r.name,
      kind: r.primary ? ('primary' as const) : ('unique' as const),
      columns: r.columns,
      references: null,
    })),
    ...foreign.rows.map((r) => ({ ...r, kind: 'foreign' as const })),
  ]
}

async function tablesOf(t: TestDatabase): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = current_schema() and table_name not like 'kysely_%'`.execute(t.database.kysely)
  return rows.map((r) => r.name)
}

for (const dialect of DIALECTS.filter((d) => d === 'postgres')) {
  describe(`schema shardable by location_id on ${dialect}`, () => {
    let t: TestDatabase
    let keys: Key[]
    let distributed: string[]
    beforeAll(async () => {
      t = await createTestDatabase(dialect)
      keys = await keysOf(t)
      distributed = (await tablesOf(t)).filter((table) => !(table in REFERENCE_TABLES))
    })
    afterAll(() => t.drop())

    it('names every reference table that exists, and distributes the rest', async () => {
      const tables = await tablesOf(t)
      for (const table of Object.keys(REFERENCE_TABLES)) expect(tables).toContain(table)
      expect(distributed.length).toBeGreaterThan(8)
    })

    it('every primary key and unique index of a distributed table leads with location_id', () => {
      const offending = keys
        .filter(
          (k) => k.kind !== 'foreign' && distributed.includes(k.table) && k.columns[0] !== 'location_id',
        )
        .map((k) => `${k.table}.${k.name} (${k.columns.join(', ')})`)
      expect(offending).toEqual([])
      for (const table of distributed)
        expect(
          keys.some((k) => k.table === table && k.kind === 'primary'),
          `${table} has a primary key`,
        ).toBe(true)
    })

    it('foreign keys between distributed tables lead with location_id; reference tables point at none', () => {
      const offending = keys
        .filter((k) => k.kind === 'foreign')
        .filter((k) =>
          distributed.includes(k.table)
            ? distributed.includes(k.references as string) && k.columns[0] !== 'location_id'
            : distributed.includes(k.references as string),
        )
        .map((k) => `${k.table}.${k.name} (${k.columns.join(', ')}) -> ${k.references}`)
      expect(offending).toEqual([])
    })
  })
}
