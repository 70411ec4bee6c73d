import { createHash } from 'node:crypto'
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
import { BeginThenQuery, connectionOf } from './pipelinedBegin.js'
import { DatabaseUnavailableError } from './unavailable.js'

/**
 * A pg.Pool as Kysely sees it, made to survive a database that drops, resets or stops answering:
 *
 * - A pool without an 'error' listener ends the process when an idle connection is terminated
 *   (failover, idle reaper, pg_terminate_backend); so does a checked-out client with none. Both
 *   get one here: the error is reported and the connection dropped.
 * - A connection that failed at the connection level (reset, terminated, read timeout) is never
 *   reused: its next statements fail at once (so a ROLLBACK after a timeout does not wait a second
 *   time) and it is destroyed, not returned to the pool, when Kysely releases it.
 * - Those failures, and connects that time out or are refused, surface as DatabaseUnavailableError
 *   so each API dialect answers 503 rather than 500.
 */
export class ResilientPool implements PostgresPool {
  private readonly clients = new WeakMap<pg.PoolClient, GuardedClient>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly onConnectionError: (error: Error) => void,
    /** Off behind a pooler that does not keep them (PgBouncer in transaction mode before 1.21). */
    private readonly preparedStatements = true,
  ) {
    pool.on('error', (error) => onConnectionError(error))
    // Every connected client keeps a listener of its own for its whole life, so no hand-over between
    // the pool's idle listener and a checked-out client's can leave an 'error' unheard (seen once
    // under pg_terminate_backend every 15 ms: an uncaught 57P01).
    pool.on('connect', (client) => client.on('error', (error) => onConnectionError(error)))
  }

  async connect(): Promise<PostgresPoolClient> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (error) {
      throw new DatabaseUnavailableError('connect', error)
    }
    let guarded = this.clients.get(client)
    if (!guarded) {
      guarded = new GuardedClient(client, this.onConnectionError, this.preparedStatements)
      this.clients.set(client, guarded)
    }
    guarded.checkOut()
    return guarded
  }

  end(): Promise<void> {
    return this.pool.end()
  }
}

/**
 * Statements run as named prepared statements, at most this many per connection (then unnamed):
 * PostgreSQL parses and analyses each text once per connection instead of on every execution
 * (the product runs a few dozen texts; those with one placeholder per id vary by list length,
 * hence the cap, which bounds the server memory they take).
 */
export const PREPARED_STATEMENTS_PER_CONNECTION = 200
/**
 * Only statements binding few values are prepared (see boundValueCount): after five runs PostgreSQL may switch a
 * prepared statement to a generic plan, which for the statements over hundreds of ids (a
 * 1000-id bulk request, an activity chunk) made them 1.5-3x slower; planning is a small part of
 * those, and most of a small request's.
 */
export const PREPARED_STATEMENT_MAX_PARAMETERS = 200

/**
 * Values a statement binds, counting each element of an array parameter: 5000 ids bound as one
 * text array are planned per run as 5000 placeholders would be (a generic plan for
 * `id = any($1)` assumes a short array and chose a scan of every later event in a 5000-contact
 * undo chunk: 3 ms planned for its values, 270 ms generic).
 */
function boundValueCount(values: readonly unknown[]): number {
  let count = 0
  for (const value of values) count += Array.isArray(value) ? value.length : 1
  return count
}

const statementNames = new Map<string, string>()

/** A short name for a statement text, the same in every connection. */
function statementNameOf(text: string): string {
  let name = statementNames.get(text)
  if (name === undefined) {
    name = `tb_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`
    // The texts are the product's own, a few hundred; the bound is for the per-length ones.
    if (statementNames.size >= 4 * PREPARED_STATEMENTS_PER_CONNECTION) statementNames.clear()
    statementNames.set(text, name)
  }
  return name
}

/** The text Kysely starts a transaction with (PostgresDriver.beginTransaction, no isolation level). */
const BEGIN = 'begin'
/** Results Kysely reads nothing from but the command. */
const NOT_SENT: PostgresQueryResult<never> = { command: 'SELECT', rowCount: 0, rows: [] }

class GuardedClient implements PostgresPoolClient {
  private broken: DatabaseUnavailableError | undefined
  private readonly prepared = new Set<string>()
  /** The name BEGIN is prepared under on this connection, once it has run once (see BeginThenQuery). */
  private preparedBegin: string | undefined
  /** A BEGIN answered but not yet sent: it goes with the transaction's first statement. */
  private beginPending = false
  private readonly onClientError = (error: Error) => {
    this.broken ??= new DatabaseUnavailableError('connection', error)
    this.onConnectionError(error)
  }

  constructor(
    private readonly client: pg.PoolClient,
    private readonly onConnectionError: (error: Error) => void,
    private readonly preparing: boolean,
  ) {}

  checkOut(): void {
    this.client.on('error', this.onClientError)
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's overloads (statement or cursor) meet here.
  query(sqlOrCursor: any, parameters?: ReadonlyArray<unknown>): any {
    if (typeof sqlOrCursor !== 'string') {
      // A cursor is returned as it is submitted, so a pending BEGIN goes just ahead of it.
      if (this.beginPending) {
        this.beginPending = false
        // Should it fail, the cursor would run outside the transaction: the connection is not reused.
        this.sendBegin().catch((error: unknown) => {
          this.broken ??= new DatabaseUnavailableError('connection', error)
        })
      }
      return this.client.query(sqlOrCursor)
    }
    return this.run(sqlOrCursor, parameters ?? [])
  }

  private async run<R>(text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.broken) throw this.broken
    if (this.beginPending) {
      if (text === 'commit' || text === 'rollback') {
        // Nothing ran in the transaction, so there is nothing to end.
        this.beginPending = false
        return NOT_SENT
      }
    } else if (text === BEGIN && parameters.length === 0 && this.preparedBegin !== undefined) {
      this.beginPending = true
      return NOT_SENT
    }
    try {
      const config = this.queryConfig(text, parameters)
      const withBegin = this.beginPending
      this.beginPending = false
      const result = withBegin ? await this.sendAfterBegin(config) : await this.client.query(config)
      if (text === BEGIN && config.name !== undefined) this.preparedBegin = config.name
      return result as unknown as PostgresQueryResult<R>
    } catch (error) {
      if (isConnectionFailure(error)) {
        this.broken ??= new DatabaseUnavailableError('connection', error)
        throw this.broken
      }
      if (isStalePreparedStatement(error)) {
        // Its table changed shape under the statement (a migration by another process): a new
        // connection prepares it again; this one answers unavailable once.
        this.broken ??= new DatabaseUnavailableError('connection', error)
        throw this.broken
      }
      if (isServerUnavailable(error)) throw new DatabaseUnavailableError('server', error)
      throw error
    }
  }

  /** BEGIN on its own, by the name it is prepared under on this connection. */
  private sendBegin(): Promise<pg.QueryResult> {
    return this.client.query({ name: this.preparedBegin, text: BEGIN, values: [] })
  }

  private async sendAfterBegin(config: pg.QueryConfig): Promise<pg.QueryResult> {
    const connection = connectionOf(this.client)
    if (connection === undefined || !BeginThenQuery.canCarry(config, connection)) {
      await this.sendBegin()
      return this.client.query(config)
    }
    return new Promise((resolve, reject) => {
      const query = new BeginThenQuery(this.preparedBegin as string, config, (error, result) => {
        if (error) reject(error)
        // Two results would mean BEGIN's was not set apart: never hand the caller the wrong one.
        else if (Array.isArray(result)) reject(new Error('BEGIN and the statement answered as two results'))
        else resolve(result)
      })
      this.client.query(query as unknown as pg.Submittable)
    })
  }

  private queryConfig(text: string, parameters: ReadonlyArray<unknown>): pg.QueryConfig {
    const values = [...parameters]
    if (!this.preparing || boundValueCount(values) > PREPARED_STATEMENT_MAX_PARAMETERS)
      return { text, values }
    const name = statementNameOf(text)
    if (!this.prepared.has(name)) {
      if (this.prepared.size >= PREPARED_STATEMENTS_PER_CONNECTION) return { text, values }
      this.prepared.add(name)
    }
    return { name, text, values }
  }

  release(): void {
    this.beginPending = false
    this.client.removeListener('error', this.onClientError)
    if (this.broken) {
      // Destroys the connection instead of returning it to the pool.
      this.client.release(this.broken)
      return
    }
    this.client.release()
  }
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/** The connection itself failed: reset, terminated by the server, read timeout, not queryable. */
function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error)
  if (state === undefined) return true // node socket errors and pg's own (timeouts, terminated)
  return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03'
}

function isStalePreparedStatement(error: unknown): boolean {
  return (
    sqlState(error) === '0A000' &&
    /cached plan must not change result type/.test(String((error as Error).message))
  )
}

/**
 * The server is there but cannot do the work now: statement timeout, overload, a lock not
 * granted, or a transaction it aborted to break a deadlock or a serialisation conflict (the
 * same work succeeds when tried again).
 */
function isServerUnavailable(error: unknown): boolean {
  const state = sqlState(error)
  return (
    state === '57014' ||
    state?.startsWith('53') === true ||
    state === '55P03' ||
    state === '40001' ||
    state === '40P01'
  )
}
