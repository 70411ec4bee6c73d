import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely'
import { derived } from './compiledOnce.js'
import type { Db } from './database.js'

/**
 * What differs between SQLite and PostgreSQL, named for what the callers need rather than for the
 * engine. Every store module asks here instead of branching on `db.dialect` itself.
 */

// biome-ignore lint/suspicious/noExplicitAny: any select query; the helpers keep its type.
type AnySelect = SelectQueryBuilder<any, any, any>

/**
 * Locks the selected rows until the transaction ends (FOR UPDATE) where the engine has row locks.
 * SQLite needs none: its write transactions are serialised.
 */
export function lockingSelectedRows<Q extends AnySelect>(db: Db, query: Q): Q {
  return db.dialect === 'postgres' ? (query.forUpdate() as Q) : query
}

/**
 * Keeps the selected rows of `table` from being deleted until the transaction ends (FOR KEY SHARE), what a
 * foreign key check would do, without blocking other readers or non-key updates.
 */
export function keepingSelectedRowsFromDeletion<Q extends AnySelect>(db: Db, query: Q, table: string): Q {
  return db.dialect === 'postgres' ? (query.forKeyShare(table) as Q) : query
}

/**
 * Claims the selected rows for one worker while others skip them (FOR UPDATE SKIP LOCKED), so
 * concurrent workers each take different rows without waiting. SQLite serialises the claims.
 */
export function claimingSelectedRowsSkippingLocked<Q extends AnySelect>(db: Db, query: Q): Q {
  return db.dialect === 'postgres' ? (query.forUpdate().skipLocked() as Q) : query
}

/**
 * Whether several writes can be one statement (PostgreSQL's data-modifying WITH), saving a round
 * trip each. SQLite has no writes in WITH; its statements cost no round trip anyway.
 */
export function writesChainInOneStatement(db: Db): boolean {
  return db.dialect === 'postgres'
}

/**
 * A column SQLite's planner must not choose an index for (`+column`): it guesses without
 * statistics, and would seek an index by this column alone (a range over the rowid, or a
 * location's whole slice of an index) where another condition narrows the read to a few rows.
 * PostgreSQL's costs choose well with the plain column.
 */
export function outOfIndexChoice<T = number>(db: Db, column: string): RawBuilder<T> {
  return db.dialect === 'sqlite' ? sql<T>`+${sql.ref(column)}` : sql<T>`${sql.ref(column)}`
}

/**
 * A bound value as a column of this PostgreSQL type (`$1::uuid`): a parameter in a select list is
 * text, which PostgreSQL does not assign to a typed column. SQLite takes the value as it is.
 */
export function typedValue<T extends string | null>(db: Db, value: T, postgresType: 'timestamptz' | 'uuid') {
  return db.dialect === 'postgres' ? sql<T>`${value}::${sql.raw(postgresType)}` : sql<T>`${value}`
}

/**
 * Whether the database numbers new contacts (`seq`) itself: PostgreSQL's identity column does;
 * on SQLite the writer gives each new contact the next number of its location.
 */
export function numbersContactsItself(db: Db): boolean {
  return db.dialect === 'postgres'
}

/**
 * Fresh planner statistics for tables that grew: ANALYZE on PostgreSQL; on SQLite the sampled
 * PRAGMA optimize, which re-analyses only the tables that need it.
 */
export async function refreshPlannerStatistics(
  db: Db,
  tables: readonly string[],
  sqlite: 'optimize' | 'leave' = 'optimize',
): Promise<void> {
  if (db.dialect === 'postgres')
    await sql`ANALYZE ${sql.join(tables.map((t) => sql.table(t)))}`.execute(db.kysely)
  else if (sqlite === 'optimize') await sql`PRAGMA optimize`.execute(db.kysely)
}

/**
 * `column` is one of `ids`, with the ids bound as one parameter (a JSON array on SQLite, a text or
 * bigint array on PostgreSQL) rather than one each: a chunk of 5000 ids is then one short statement that
 * is cheap to prepare, instead of 5000 placeholders parsed and bound per statement.
 */
export function isOneOf(
  db: Db,
  column: string,
  ids: readonly string[] | readonly number[],
  type: 'text' | 'bigint' = 'text',
): RawBuilder<boolean> {
  return db.dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(${derived(ids, (v) => [...v])}::${sql.raw(type)}[])`
    : sql<boolean>`${sql.ref(column)} in (select value from json_each(${derived(ids, (v) => JSON.stringify(v))}))`
}

/**
 * `column` is one of the values the subquery selects. PostgreSQL: `= ANY(ARRAY(subquery))`, so
 * the subquery runs first (an InitPlan) and each value is sought by index: written as `IN
 * (subquery)`, a webhook's lease of 512 deliveries was hash-joined to a sequential scan of all
 * its 20 000 rows once statistics said most of the table matched (8 of a claim's 31 ms). SQLite
 * seeks each value of `IN (subquery)` already.
 */
export function isOneOfSelected(db: Db, column: string, subquery: AnySelect): RawBuilder<boolean> {
  // An interpolated subquery comes in parentheses: `array(select ...)`, `in (select ...)`.
  return db.dialect === 'postgres'
    ? sql<boolean>`${sql.ref(column)} = any(array${subquery})`
    : sql<boolean>`${sql.ref(column)} in ${subquery}`
}

/** The ids as a table `alias(id)`, bound as one parameter (see isOneOf). */
export function idsAsTable<A extends string>(db: Db, ids: readonly string[], alias: A) {
  return db.dialect === 'postgres'
    ? // OFFSET 0 keeps the set-returning function in its own query level, where row locks of the
      // outer query are allowed.
      sql<{ id: string }>`(select unnest(${derived(ids, (v) => [...v])}::text[]) as id offset 0)`.as(alias)
    : sql<{ id: string }>`(select value as id from json_each(${derived(ids, (v) => JSON.stringify(v))}))`.as(
        alias,
      )
}

/** Types a bound table's column can have: text, or a 64-bit integer (event ids). */
type BoundColumnType = 'text' | 'bigint'
type BoundValue<T extends BoundColumnType> = T extends 'bigint' ? number : string

/**
 * Rows as a table `alias(columns...)`, bound as one parameter per column on PostgreSQL (typed
 * arrays, unnested together) and as one JSON array of rows on SQLite: a statement of thousands of
 * rows stays a few parameters, short to build, prepare and bind, in row order.
 */
export function rowsAsTable<A extends string, C extends Record<string, BoundColumnType>>(
  db: Db,
  rows: ReadonlyArray<Readonly<Record<keyof C & string, string | number>>>,
  alias: A,
  columns: C,
) {
  const named = Object.entries(columns) as Array<[keyof C & string, BoundColumnType]>
  const names = sql.join(named.map(([c]) => sql.id(c)))
  type Row = { [K in keyof C]: BoundValue<C[K]> }
  if (db.dialect === 'postgres') {
    const arrays = sql.join(
      named.map(([c, type]) => sql`${derived(rows, (rs) => rs.map((r) => r[c]))}::${sql.raw(type)}[]`),
    )
    return sql<Row>`(select * from unnest(${arrays}) as p(${names}) offset 0)`.as(alias)
  }
  const fields = sql.join(named.map(([c], i) => sql`value ->> ${sql.lit(i)} as ${sql.id(c)}`))
  const json = derived(rows, (rs) => JSON.stringify(rs.map((r) => named.map(([c]) => r[c]))))
  return sql<Row>`(select ${fields} from json_each(${json}))`.as(alias)
}
