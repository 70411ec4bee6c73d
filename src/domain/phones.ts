import { type CountryCode, getCountries, parsePhoneNumberFromString } from 'libphonenumber-js'

/** Country whose national format a phone without `+` is read in, when the location names none. */
export const DEFAULT_PHONE_COUNTRY = 'US'

const COUNTRIES: ReadonlySet<string> = new Set(getCountries())

/** An ISO 3166-1 alpha-2 code the phone rules know (`US`, `GB`, `DE`, …). */
export function isPhoneCountry(code: string): boolean {
  return COUNTRIES.has(code)
}

/**
 * +1 and ten digits: a NANPA number already in E.164, which the rules below read as a possible
 * number in every case (every +1 country takes ten national digits) and write back unchanged,
 * after trying the +1 countries' patterns in turn to find which one it is: 13-19 µs a phone,
 * about a tenth of an import's CPU. test/domain/phones.test.ts checks the shortcut against the rules.
 */
const NANPA_E164 = /^\+1\d{10}$/

/**
 * A phone as stored and matched: E.164 (`+18888888888`) when it reads as a possible number —
 * international with `+`, or national in `country` — so `+1 888-888-8888`, `(888) 888-8888` and
 * `+18888888888` are one contact, as HighLevel's own answers show them. Anything else is kept as
 * written (trimmed) and matches only itself: refusing it would lose data a CRM sent on purpose.
 */
export function normalizePhone(raw: string, country: string | null = DEFAULT_PHONE_COUNTRY): string {
  const trimmed = raw.trim()
  if (NANPA_E164.test(trimmed)) return trimmed
  // A location that names no country (null), or one the rules do not know, reads phones as US.
  const region = (
    country !== null && isPhoneCountry(country) ? country : DEFAULT_PHONE_COUNTRY
  ) as CountryCode
  const parsed = parsePhoneNumberFromString(trimmed, region)
  return parsed?.isPossible() ? parsed.number : trimmed
}
