import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { type CompiledQuery, Kysely, type LogEvent, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { Schema } from './schema.js'

export type DialectName = 'sqlite' | 'postgres'

/** A Kysely handle plus the engine it talks to; store functions use the latter only where SQL differs. */
export interface Db {
  readonly kysely: Kysely<Schema>
  readonly dialect: DialectName
}

export interface Database extends Db {
  transaction<T>(work: (tx: Db) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export interface DatabaseOptions {
  /** PostgreSQL pool size per process. */
  poolSize?: number
  /** PostgreSQL schema to use (tests give each suite its own). */
  searchPath?: string
  /** Sees every executed statement (tests use it to EXPLAIN the real queries). */
  onQuery?: (query: CompiledQuery) => void
}

export function dialectOf(url: string): DialectName {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres'
  if (url.startsWith('sqlite:')) return 'sqlite'
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url}")`)
}

export function sqliteFilename(url: string): string {
  const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
  if (path.length === 0)
    throw new Error('DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/tagbase.db')
  return path
}

export function openDatabase(url: string, options: DatabaseOptions = {}): Database {
  const dialect = dialectOf(url)
  const log = options.onQuery ? (event: LogEvent) => options.onQuery?.(event.query) : undefined
  const kysely = dialect === 'sqlite' ? openSqlite(sqliteFilename(url), log) : openPostgres(url, options, log)
  return {
    kysely,
    dialect,
    transaction: (work) => kysely.transaction().execute((trx) => work({ kysely: trx, dialect })),
    close: () => kysely.destroy(),
  }
}

function openSqlite(filename: string, log?: (event: LogEvent) => void): Kysely<Schema> {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  const connection = new SQLite(filename)
  // WAL lets readers in other processes (the CLI) work while the server writes.
  connection.pragma('journal_mode = WAL')
  connection.pragma('synchronous = NORMAL')
  connection.pragma('foreign_keys = ON')
  connection.pragma('busy_timeout = 5000')
  // Planner statistics, sampled so it stays quick on big files: on open, the tables that need
  // them (SQLite's advice for long-lived connections); imports refresh them as they grow.
  connection.pragma('analysis_limit = 1000')
  connection.pragma('optimize = 0x10002')
  return new Kysely<Schema>({ dialect: new SqliteDialect({ database: connection }), ...(log ? { log } : {}) })
}

const INT8_OID = 20

/** bigint columns and count(*) come back as JS numbers; ids and counts stay far below 2^53. */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

function openPostgres(
  url: string,
  options: DatabaseOptions,
  log?: (event: LogEvent) => void,
): Kysely<Schema> {
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes,
    max: options.poolSize ?? 10,
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  })
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) })
}
