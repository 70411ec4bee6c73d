import type SQLite from 'better-sqlite3'
import type { SqliteDatabase, SqliteStatement } from 'kysely'

/**
 * Kysely's SQLite driver prepares every statement it runs, and preparing was a third of the
 * SQLite time of a small bulk request (11 statements: 0.49 of 1.47 ms). The product runs a
 * few dozen distinct statements over and over, so the prepared ones are kept by their SQL text,
 * the least recently used dropped past `capacity` (statements whose text carries one placeholder
 * per id differ by list length; they take their turn in the cache too). Rows come back as objects
 * made by RowsAsObjects.
 */
export function reusingPreparedStatements(connection: SQLite.Database, capacity = 256): SqliteDatabase {
  const prepared = new Map<string, RowsAsObjects>()
  return {
    close: () => connection.close(),
    prepare(sql: string) {
      const cached = prepared.get(sql)
      // A statement still being iterated (a streamed read) cannot run again until it finishes.
      if (cached && !cached.busy) {
        prepared.delete(sql)
        prepared.set(sql, cached)
        return cached
      }
      const statement = new RowsAsObjects(connection.prepare(sql))
      if (!cached) {
        prepared.set(sql, statement)
        if (prepared.size > capacity) prepared.delete(prepared.keys().next().value as string)
      }
      return statement
    },
  }
}

type RawRow = readonly unknown[]
type RowBuilder = (row: RawRow) => Record<string, unknown>

/**
 * A statement whose rows better-sqlite3 returns as arrays (raw mode), made into objects here by
 * a function written for its columns: better-sqlite3 sets an object's properties one by one from
 * C++. A read of 512 filled contacts of 28 columns (a webhook lease's) took 45.4 M instructions
 * that way and 22.7 M this way (callgrind; CPU 1.1-1.3x on this machine, npm run
 * bench:sqlite-rows). The objects are alike: own properties in column order, a later column of the
 * same name winning.
 */
class RowsAsObjects implements SqliteStatement {
  readonly reader: boolean
  private readonly build: RowBuilder | undefined

  constructor(private readonly statement: SQLite.Statement) {
    this.reader = statement.reader
    if (this.reader) {
      statement.raw(true)
      this.build = rowBuilderFor(statement.columns().map((column) => column.name))
    }
  }

  get busy(): boolean {
    return this.statement.busy
  }

  all(parameters: readonly unknown[]): unknown[] {
    const rows = this.statement.all(parameters) as RawRow[]
    const build = this.build as RowBuilder
    const objects = new Array(rows.length)
    for (let i = 0; i < rows.length; i++) objects[i] = build(rows[i] as RawRow)
    return objects
  }

  run(parameters: readonly unknown[]): SQLite.RunResult {
    return this.statement.run(parameters)
  }

  iterate(parameters: readonly unknown[]): IterableIterator<unknown> {
    // Started now, as better-sqlite3's own iterate is, so the statement is busy from this call.
    return mapRows(this.statement.iterate(parameters) as IterableIterator<RawRow>, this.build as RowBuilder)
  }
}

function* mapRows(rows: IterableIterator<RawRow>, build: RowBuilder): IterableIterator<unknown> {
  for (const row of rows) yield build(row)
}

/** Builders by column list: statements that differ only by list length share their row shape. */
const rowBuilders = new Map<string, RowBuilder>()
const ROW_BUILDERS_KEPT = 512

/**
 * `(row) => ({ name0: row[0], name1: row[1], ... })`, compiled once per column list. The names
 * are written as JSON strings in computed keys (as fast as plain ones), so no name is read as
 * code and a column named `__proto__` is an own property, never the object's prototype
 * (better-sqlite3 dropped such a column; no statement of the product has one).
 */
export function rowBuilderFor(columns: readonly string[]): RowBuilder {
  const key = JSON.stringify(columns)
  let builder = rowBuilders.get(key)
  if (builder === undefined) {
    const properties = columns.map((name, i) => `[${JSON.stringify(name)}]: row[${i}]`)
    builder = new Function('row', `return { ${properties.join(', ')} }`) as RowBuilder
    if (rowBuilders.size >= ROW_BUILDERS_KEPT) rowBuilders.clear()
    rowBuilders.set(key, builder)
  }
  return builder
}
