/**
 * The database could not do the work now, for reasons of its own and not of the request: it is
 * down, unreachable, too slow, or locked by another process. The API answers 503 (retry later);
 * workers back off and try again. Only the store knows which engine errors mean this.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly stage: 'connect' | 'connection' | 'server' | 'busy' | 'timeout',
    cause: unknown,
  ) {
    super(`database unavailable (${stage}): ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    })
    this.name = 'DatabaseUnavailableError'
  }
}

const SQLITE_BUSY_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_BUSY_SNAPSHOT',
  'SQLITE_BUSY_TIMEOUT',
])

/** Whether an error means "the database cannot answer now" on either engine. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && SQLITE_BUSY_CODES.has(code)
}
