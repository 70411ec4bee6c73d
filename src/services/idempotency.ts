import { createHash } from 'node:crypto'
import type { Database } from '../store/database.js'
import {
  deleteIdempotencyKey,
  findIdempotencyKey,
  insertIdempotencyKey,
  saveIdempotentResponse,
} from '../store/idempotencyKeys.js'

/** How long a key's first answer is replayed. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
/** How long a repeat waits for a concurrent first request to answer. */
const WAIT_FOR_FIRST_MS = 30_000
/** A first request unanswered for this long died with its process; its key is taken over. */
const ABANDONED_AFTER_MS = 60_000

export type IdempotentRequest = { method: string; path: string; body: unknown }

/** What to do with a keyed request: run it (and record its answer), replay an answer, or refuse. */
export type IdempotencyDecision =
  | { kind: 'proceed' }
  | { kind: 'replay'; status: number; response: string }
  | { kind: 'mismatch' }
  | { kind: 'busy' }

export function requestFingerprint(request: IdempotentRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.path}\n${JSON.stringify(request.body ?? null)}`)
    .digest('hex')
}

/**
 * Claims the key for this request, or finds the answer a previous request with the key got.
 * A concurrent duplicate waits for the first one's answer, so the request is applied once.
 */
export async function beginIdempotentRequest(
  database: Database,
  locationId: string,
  key: string,
  request: IdempotentRequest,
): Promise<IdempotencyDecision> {
  const fingerprint = requestFingerprint(request)
  const deadline = Date.now() + WAIT_FOR_FIRST_MS
  await deleteIdempotencyKey(
    database,
    locationId,
    key,
    new Date(Date.now() - IDEMPOTENCY_WINDOW_MS).toISOString(),
  )
  for (;;) {
    const now = new Date().toISOString()
    if (await insertIdempotencyKey(database, { location_id: locationId, key, fingerprint, created_at: now }))
      return { kind: 'proceed' }
    const existing = await findIdempotencyKey(database, locationId, key)
    if (existing) {
      if (existing.fingerprint !== fingerprint) return { kind: 'mismatch' }
      if (existing.status !== null && existing.response !== null)
        return { kind: 'replay', status: existing.status, response: existing.response }
      const abandoned = new Date(Date.now() - ABANDONED_AFTER_MS).toISOString()
      if (existing.created_at < abandoned) {
        await deleteIdempotencyKey(database, locationId, key, abandoned)
        continue
      }
    }
    if (Date.now() > deadline) return { kind: 'busy' }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Records the answer to replay; a server-side failure (5xx) frees the key for a retry instead. */
export async function completeIdempotentRequest(
  database: Database,
  locationId: string,
  key: string,
  answer: { status: number; response: string },
): Promise<void> {
  if (answer.status >= 500) await deleteIdempotencyKey(database, locationId, key)
  else await saveIdempotentResponse(database, locationId, key, answer)
}
