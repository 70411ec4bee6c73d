import { type CountryCode, getCountries, parsePhoneNumberFromString } from 'libphonenumber-js'

/** Country whose national format a phone without `+` is read in, when the location names none. */
export const DEFAULT_PHONE_COUNTRY = 'US'

const COUNTRIES: ReadonlySet<string> = new Set(getCountries())

/** An ISO 3166-1 alpha-2 code the phone rules know (`US`, `GB`, `DE`, …). */
export function isPhoneCountry(code: string): boolean {
  return COUNTRIES.has(code)
}

/**
 * A phone as stored and matched: E.164 (`+18888888888`) when it reads as a possible number —
 * international with `+`, or national in `country` — so `+1 888-888-8888`, `(888) 888-8888` and
 * `+18888888888` are one contact, as HighLevel's own answers show them. Anything else is kept as
 * written (trimmed) and matches only itself: refusing it would lose data a CRM sent on purpose.
 */
export function normalizePhone(raw: string, country: string | null = DEFAULT_PHONE_COUNTRY): string {
  const trimmed = raw.trim()
  // A location that names no country (null), or one the rules do not know, reads phones as US.
  const region = (
    country !== null && isPhoneCountry(country) ? country : DEFAULT_PHONE_COUNTRY
  ) as CountryCode
  const parsed = parsePhoneNumberFromString(trimmed, region)
  return parsed?.isPossible() ? parsed.number : trimmed
}
