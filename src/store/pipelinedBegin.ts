import pg from 'pg'

/**
 * A transaction's BEGIN sent in the same message batch as its first statement, so a transaction
 * costs one round trip fewer (a small bulk request makes six).
 *
 * The batch is Bind + Execute of the connection's prepared BEGIN, then the statement's own
 * [Parse] + Bind + Describe + Execute, then one Sync. One Sync matters: should BEGIN fail, the
 * server skips everything up to the Sync, so the statement never runs outside a transaction (pg's
 * `pipeline` mode syncs after each query, which would let it run on its own and autocommit).
 * BEGIN's CommandComplete is the first this query sees; it is not part of the statement's result.
 */
export class BeginThenQuery extends (pg.Query as unknown as PgQueryClass) {
  private beginCompleted = false

  constructor(
    private readonly beginStatement: string,
    config: pg.QueryConfig,
    callback: (error: Error | null, result: pg.QueryResult) => void,
  ) {
    super({ ...config, callback })
  }

  /**
   * Only for a statement that pg sends by the extended protocol (a name, or values to bind), under
   * a name it has not seen with another text: the cases in which pg's own submit writes its
   * messages, Sync last, and returns no error.
   */
  static canCarry(config: pg.QueryConfig, connection: PgConnection): boolean {
    if (typeof config.text !== 'string') return false
    if (typeof config.name !== 'string') return Array.isArray(config.values) && config.values.length > 0
    const previous =
      connection.parsedStatements[config.name] ?? connection.submittedNamedStatements[config.name]
    return previous === undefined || previous === config.text
  }

  override submit(connection: PgConnection): Error | null {
    connection.stream.cork?.()
    try {
      connection.bind({ portal: '', statement: this.beginStatement, values: [] })
      connection.execute({ portal: '' })
      return super.submit(connection)
    } finally {
      connection.stream.uncork?.()
    }
  }

  override handleCommandComplete(message: unknown, connection: PgConnection): void {
    if (!this.beginCompleted) {
      this.beginCompleted = true
      return
    }
    super.handleCommandComplete(message, connection)
  }
}

/** pg's Query as it is (its published types declare submit as a property and omit the handlers). */
type PgQueryClass = new (
  config: pg.QueryConfig & { callback: (error: Error | null, result: pg.QueryResult) => void },
) => {
  submit(connection: PgConnection): Error | null
  handleCommandComplete(message: unknown, connection: PgConnection): void
}

/** The parts of pg's (untyped) Connection that the batch uses. */
export type PgConnection = {
  stream: { cork?: () => void; uncork?: () => void }
  parsedStatements: Record<string, string | undefined>
  submittedNamedStatements: Record<string, string | undefined>
  bind(message: { portal: string; statement: string; values: unknown[] }): void
  execute(message: { portal: string }): void
}

/**
 * The batch overrides two of Query's undocumented methods, and pg's Client keeps its Connection on
 * an undocumented property: a pg of another shape than this was written for (an installed copy
 * resolves `^8` afresh) gets no batch, BEGIN goes on its own as before.
 */
const QUERY_AS_EXPECTED = (() => {
  const query = pg.Query.prototype as unknown as Record<string, unknown>
  return typeof query.handleCommandComplete === 'function' && typeof query.submit === 'function'
})()

export function connectionOf(client: pg.PoolClient): PgConnection | undefined {
  if (!QUERY_AS_EXPECTED) return undefined
  const connection = (client as unknown as { connection?: Partial<PgConnection> }).connection
  if (
    typeof connection?.bind !== 'function' ||
    typeof connection.execute !== 'function' ||
    typeof connection.parsedStatements !== 'object' ||
    typeof connection.submittedNamedStatements !== 'object' ||
    typeof connection.stream !== 'object'
  )
    return undefined
  return connection as PgConnection
}
