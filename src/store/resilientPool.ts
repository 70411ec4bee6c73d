import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'
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
      guarded = new GuardedClient(client, this.onConnectionError)
      this.clients.set(client, guarded)
    }
    guarded.checkOut()
    return guarded
  }

  end(): Promise<void> {
    return this.pool.end()
  }
}

class GuardedClient implements PostgresPoolClient {
  private broken: DatabaseUnavailableError | undefined
  private readonly onClientError = (error: Error) => {
    this.broken ??= new DatabaseUnavailableError('connection', error)
    this.onConnectionError(error)
  }

  constructor(
    private readonly client: pg.PoolClient,
    private readonly onConnectionError: (error: Error) => void,
  ) {}

  checkOut(): void {
    this.client.on('error', this.onClientError)
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's overloads (statement or cursor) meet here.
  query(sqlOrCursor: any, parameters?: ReadonlyArray<unknown>): any {
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor)
    return this.run(sqlOrCursor, parameters ?? [])
  }

  private async run<R>(text: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    if (this.broken) throw this.broken
    try {
      return (await this.client.query(text, [...parameters])) as unknown as PostgresQueryResult<R>
    } catch (error) {
      if (isConnectionFailure(error)) {
        this.broken ??= new DatabaseUnavailableError('connection', error)
        throw this.broken
      }
      if (isServerUnavailable(error)) throw new DatabaseUnavailableError('server', error)
      throw error
    }
  }

  release(): void {
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
