import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite from 'better-sqlite3'
import { type CompiledQuery, Kysely, type LogEvent, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import { CurrentSchemaPostgresDialect } from './postgresIntrospector.js'
import { ResilientPool } from './resilientPool.js'
import type { Schema } from './schema.js'
import {
  BACKSTOP_PAGES,
  type BackgroundCheckpoints,
  startBackgroundCheckpoints,
} from './sqliteCheckpoints.js'
import { reusingPreparedStatements } from './sqliteStatements.js'

export { DatabaseUnavailableError, isDatabaseUnavailable } from './unavailable.js'

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
  /** Time limits; see DEFAULT_DATABASE_TIMEOUTS. */
  timeouts?: Partial<DatabaseTimeouts>
  /** PostgreSQL application_name, as pg_stat_activity shows it (default `tagbase`). */
  applicationName?: string
  /** A pooled connection failed (terminated, reset); it is dropped and the process goes on. */
  onConnectionError?: (error: Error) => void
  /** PostgreSQL: run statements as named prepared statements (store/resilientPool.ts); default on. */
  preparedStatements?: boolean
}

export type DatabaseTimeouts = {
  /** PostgreSQL: opening a connection, or waiting for a free one in the pool. */
  connectMs: number
  /**
   * PostgreSQL: one statement (server-side statement_timeout; the client gives up 500 ms later
   * when the server does not answer at all). 0 turns both off (migrations).
   */
  queryMs: number
  /** SQLite: how long a statement waits for another process's lock before giving up. */
  busyMs: number
}

/**
 * Short enough that an API request facing a dead or silent database answers 503 within 5 s
 * (connect 2 s, or one statement 3.5 s), long enough for the longest statement the product runs
 * (an activity chunk of 5000 contacts: well under a second on the benchmarks' machine).
 */
export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = Object.freeze({
  connectMs: 2000,
  queryMs: 3000,
  busyMs: 3000,
})

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
  const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts }
  if (dialect === 'sqlite') {
    const { kysely, checkpoints } = openSqlite(sqliteFilename(url), timeouts, log)
    const groups = new SqliteTransactionGroups(kysely)
    return {
      kysely,
      dialect,
      transaction: (work) => groups.run(work),
      async close() {
        // The checkpointer's connection first: the last connection to close removes the WAL.
        await checkpoints?.stop()
        await kysely.destroy()
      },
    }
  }
  const kysely = openPostgres(url, options, timeouts, log)
  return {
    kysely,
    dialect,
    transaction: (work) => kysely.transaction().execute((trx) => work({ kysely: trx, dialect })),
    close: () => kysely.destroy(),
  }
}

/** The most transactions in one group: none waits on more than this many others' work for its commit. */
const SQLITE_GROUP_LIMIT = 32

type QueuedTransaction = {
  work: (tx: Db) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** What one transaction of a group came to: its answer, or the error it was rolled back for. */
type SavepointOutcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/**
 * SQLite transactions, committed in groups. The transactions asked for in one turn of the event
 * loop (concurrent requests whose bodies arrived together) run one after another in a single
 * transaction, each in a savepoint of its own, and are committed together: each sees the ones
 * before it, a failed one is rolled back to its savepoint without touching the others, and none
 * answers before the commit, so the results are exactly those of running them one by one, at one
 * commit (~0.1 ms, a tenth of a small request's CPU) per group. SQLite runs one write
 * transaction at a time on its one connection anyway.
 *
 * The group begins IMMEDIATE, taking the file's write lock at the start and waiting for it up to
 * the busy timeout: a deferred transaction (Kysely's BEGIN) that reads and then writes fails at
 * once with SQLITE_BUSY_SNAPSHOT when another process (a worker, `tagbase import`) wrote in
 * between, and the busy timeout cannot help it.
 */
class SqliteTransactionGroups {
  private queued: QueuedTransaction[] = []
  private scheduled = false

  constructor(private readonly kysely: Kysely<Schema>) {}

  run<T>(work: (tx: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ work, resolve: resolve as (value: unknown) => void, reject })
      this.schedule()
    })
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      const group = this.queued.splice(0, SQLITE_GROUP_LIMIT)
      // The rest form the next group, queued behind this one on the connection.
      if (this.queued.length > 0) this.schedule()
      this.runGroup(group).catch((error) => {
        for (const member of group) member.reject(error)
      })
    })
  }

  private runGroup(group: readonly QueuedTransaction[]): Promise<void> {
    return this.kysely.connection().execute(async (connection) => {
      const tx: Db = { kysely: connection, dialect: 'sqlite' }
      await sql`begin immediate`.execute(connection)
      const outcomes: SavepointOutcome[] = []
      try {
        for (const member of group) outcomes.push(await runInSavepoint(tx, member.work))
        await sql`commit`.execute(connection)
      } catch (error) {
        // The group could not be committed (or a savepoint not be rolled back): nothing of it holds.
        await sql`rollback`.execute(connection).catch(() => {})
        throw error
      }
      group.forEach((member, i) => {
        const outcome = outcomes[i]
        if (outcome?.ok) member.resolve(outcome.value)
        else member.reject(outcome?.error)
      })
    })
  }
}

async function runInSavepoint(tx: Db, work: (tx: Db) => Promise<unknown>): Promise<SavepointOutcome> {
  await sql`savepoint grouped`.execute(tx.kysely)
  try {
    const value = await work(tx)
    await sql`release grouped`.execute(tx.kysely)
    return { ok: true, value }
  } catch (error) {
    try {
      await sql`rollback to grouped`.execute(tx.kysely)
      await sql`release grouped`.execute(tx.kysely)
    } catch {
      // SQLite ended the whole transaction (a full disk, an I/O error): the group fails with it.
      throw error
    }
    return { ok: false, error }
  }
}

function openSqlite(
  filename: string,
  timeouts: DatabaseTimeouts,
  log?: (event: LogEvent) => void,
): { kysely: Kysely<Schema>; checkpoints: BackgroundCheckpoints | null } {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true })
  const connection = new SQLite(filename)
  // WAL lets readers in other processes (the CLI) work while the server writes.
  connection.pragma('journal_mode = WAL')
  connection.pragma('synchronous = NORMAL')
  connection.pragma('foreign_keys = ON')
  // Past this another process's lock (an import, the CLI) answers 503 rather than waiting on.
  connection.pragma(`busy_timeout = ${Math.trunc(timeouts.busyMs)}`)
  // Planner statistics, sampled so it stays quick on big files: on open, the tables that need
  // them (SQLite's advice for long-lived connections); imports refresh them as they grow.
  connection.pragma('analysis_limit = 1000')
  connection.pragma('optimize = 0x10002')
  let checkpoints: BackgroundCheckpoints | null = null
  if (filename !== ':memory:') {
    connection.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`)
    checkpoints = startBackgroundCheckpoints(filename)
  }
  const kysely = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: reusingPreparedStatements(connection) }),
    ...(log ? { log } : {}),
  })
  return { kysely, checkpoints }
}

const INT8_OID = 20
const TIMESTAMPTZ_OID = 1184
const parseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (value: string) => Date

/**
 * bigint columns and count(*) come back as JS numbers; ids and counts stay far below 2^53.
 * timestamptz columns (events.created_at, migration 0023) come back as the ISO strings every other
 * time column holds, so the row types are the same on both engines.
 */
const pgTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID) return (value: string) => Number(value)
    if (oid === TIMESTAMPTZ_OID) return (value: string) => parseTimestamptz(value).toISOString()
    return pg.types.getTypeParser(oid, format)
  }) as typeof pg.types.getTypeParser,
}

function openPostgres(
  url: string,
  options: DatabaseOptions,
  timeouts: DatabaseTimeouts,
  log?: (event: LogEvent) => void,
): Kysely<Schema> {
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: timeouts.connectMs,
    application_name: options.applicationName ?? 'tagbase',
    // A peer that vanished without a reset (a dropped route, a frozen host) is noticed by TCP.
    keepAlive: true,
    ...(timeouts.queryMs > 0
      ? { statement_timeout: timeouts.queryMs, query_timeout: timeouts.queryMs + 500 }
      : {}),
    ...(options.searchPath ? { options: `-c search_path=${options.searchPath}` } : {}),
  })
  const resilient = new ResilientPool(
    pool,
    options.onConnectionError ?? (() => {}),
    options.preparedStatements ?? true,
  )
  return new Kysely<Schema>({
    dialect: new CurrentSchemaPostgresDialect({ pool: resilient }),
    ...(log ? { log } : {}),
  })
}
