/**
 * ISO-8601 instants as callers write them in query filters: a date (`2026-03-01`, midnight UTC)
 * or a date-time with or without seconds, fraction and offset (none: UTC). Anything else, even
 * what `Date.parse` would guess at ("March 1"), is refused.
 */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/

/** The instant as stored (`toISOString()`, UTC, milliseconds), or null when it is not one. */
export function parseIsoInstant(text: string): string | null {
  const match = ISO_INSTANT.exec(text)
  if (!match) return null
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', offset = 'Z'] = match
  const millis = `${fraction}000`.slice(0, 3)
  const zone =
    offset === 'Z' ? 'Z' : offset.includes(':') ? offset : `${offset.slice(0, 3)}:${offset.slice(3)}`
  const parsed = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone}`)
  if (Number.isNaN(parsed.getTime())) return null
  // Date rolls 2026-02-30 over to March; a date that does not exist is refused instead.
  const probe = new Date(`${year}-${month}-${day}T00:00:00Z`)
  if (probe.getUTCDate() !== Number(day) || probe.getUTCMonth() + 1 !== Number(month)) return null
  return parsed.toISOString()
}
