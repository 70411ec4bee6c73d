/** Opaque cursors for keyset pages: the last id of the page, base64url-encoded. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8')
  return decoded.length > 0 ? decoded : undefined
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
