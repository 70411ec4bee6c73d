/**
 * Birth dates as HighLevel takes them: year first or month first, separated by `/`, `-`, `.` or
 * `_` (`1990-09-25`, `09/25/1990`, `1990.09.25`, `09_25_1990`), or the ISO timestamp it answers
 * with (`1990-09-25T00:00:00.000Z`, so a client can send back what it read). Stored and shown as
 * that timestamp, midnight UTC.
 */
const YEAR_FIRST = /^(\d{4})([/\-._])(\d{1,2})\2(\d{1,2})$/
const MONTH_FIRST = /^(\d{1,2})([/\-._])(\d{1,2})\2(\d{4})$/
const ISO_MIDNIGHT = /^(\d{4})-(\d{2})-(\d{2})T00:00:00(?:\.000)?Z$/

export const BIRTH_DATE_FORMATS =
  'YYYY-MM-DD, MM/DD/YYYY, YYYY/MM/DD, MM-DD-YYYY, YYYY.MM.DD, MM.DD.YYYY, YYYY_MM_DD, MM_DD_YYYY'

/** The stored form (`YYYY-MM-DDT00:00:00.000Z`), or null when it is no real date in those formats. */
export function parseBirthDate(raw: string): string | null {
  const text = raw.trim()
  let year: number
  let month: number
  let day: number
  const iso = ISO_MIDNIGHT.exec(text)
  const yearFirst = YEAR_FIRST.exec(text)
  const monthFirst = MONTH_FIRST.exec(text)
  if (iso) [year, month, day] = [Number(iso[1]), Number(iso[2]), Number(iso[3])]
  else if (yearFirst) [year, month, day] = [Number(yearFirst[1]), Number(yearFirst[3]), Number(yearFirst[4])]
  else if (monthFirst)
    [year, month, day] = [Number(monthFirst[4]), Number(monthFirst[1]), Number(monthFirst[3])]
  else return null
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null
  return date.toISOString()
}
