import { isStorableText } from '../../domain/text.js'
import { badRequest } from './errors.js'

/**
 * Opaque cursors for keyset pages: the last id of the page, base64url-encoded. A cursor that is
 * not one this server wrote is refused (400), never read as an empty or a first page.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url')
}

const ID_TEXT = /^[A-Za-z0-9_-]{1,64}$/

/** The answer to a cursor this server did not write (400): never read as an empty or a first page. */
export function invalidCursor() {
  return badRequest([{ message: 'cursor is not a valid paging cursor; use the one in _links.next' }])
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  if (!ID_TEXT.test(decoded) || !isStorableText(decoded) || encodeCursor(decoded) !== cursor)
    throw invalidCursor()
  return decoded
}
/**
 * Cursors for pages ordered by more than an id (activities: newest first, by creation time then
 * id): the position's parts as a base64url JSON array, refused unless it is one this server wrote.
 */
export function encodePositionCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url')
}

export function decodePositionCursor(cursor: string | undefined, arity: number): string[] | undefined {
  if (cursor === undefined || cursor === '') return undefined
  let parts: unknown
  try {
    parts = /^[A-Za-z0-9_-]+$/.test(cursor)
      ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
      : null
  } catch {
    parts = null
  }
  const valid =
    Array.isArray(parts) &&
    parts.length === arity &&
    parts.every((p) => typeof p === 'string' && p.length > 0 && p.length <= 64 && isStorableText(p)) &&
    encodePositionCursor(parts as string[]) === cursor
  if (!valid) throw invalidCursor()
  return parts as string[]
}

/** The `_links.next` of a page, present only when the page was full. */
export function nextLink(
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  page: { length: number },
  limit: number,
  lastId: string | undefined,
) {
  return nextLinkWithCursor(
    path,
    params,
    page,
    limit,
    lastId === undefined ? undefined : encodeCursor(lastId),
  )
}

export function nextLinkWithCursor(
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  page: { length: number },
  limit: number,
  cursor: string | undefined,
) {
  if (page.length < limit || cursor === undefined) return {}
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value))
  query.set('cursor', cursor)
  return { next: { href: `${path}?${query.toString()}` } }
}
