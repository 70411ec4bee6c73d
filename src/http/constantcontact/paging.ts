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

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : ''
  if (!ID_TEXT.test(decoded) || !isStorableText(decoded) || encodeCursor(decoded) !== cursor)
    throw badRequest([{ message: 'cursor is not a valid paging cursor; use the one in _links.next' }])
  return decoded
}
/** The `_links.next` of a page, present only when the page was full. */
export function nextLink(
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  page: { length: number },
  limit: number,
  lastId: string | undefined,
) {
  if (page.length < limit || lastId === undefined) return {}
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value))
  query.set('cursor', encodeCursor(lastId))
  return { next: { href: `${path}?${query.toString()}` } }
}
