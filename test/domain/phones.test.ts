import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { describe, expect, it } from 'vitest'
import { isPhoneCountry, normalizePhone } from '../../src/domain/phones.js'

describe('phones as stored and matched', () => {
  it('writes every spelling of one number in E.164', () => {
    for (const spelling of [
      '+1 888-888-8888',
      '+18888888888',
      '888-888-8888',
      '(888) 888-8888',
      ' 888 888 8888 ',
    ])
      expect(normalizePhone(spelling), spelling).toBe('+18888888888')
    expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958')
    expect(normalizePhone('020 7946 0958', 'GB')).toBe('+442079460958')
  })

  it('keeps what is not a possible number as written, trimmed', () => {
    expect(normalizePhone(' ext. 12 ')).toBe('ext. 12')
    expect(normalizePhone('+15550100')).toBe('+15550100')
  })

  it('keeps +1 and ten digits as the phone rules would, whatever the location country', () => {
    // normalizePhone skips the rules for these; the rules themselves must agree on each.
    for (let i = 0; i < 20_000; i++) {
      // Spread over the ten-digit range, every run the same.
      const phone = `+1${String((i * 7_919_393_431) % 1e10).padStart(10, '0')}`
      const country = (['US', 'CA', 'JM', 'GB', 'DE', 'IN'] as const)[i % 6]
      const parsed = parsePhoneNumberFromString(phone, country)
      expect(parsed?.isPossible() ? parsed.number : phone, phone).toBe(phone)
      expect(normalizePhone(phone, country ?? null)).toBe(phone)
    }
    for (const edge of ['+10000000000', '+11111111111', '+19999999999', '+12125550100'])
      expect(parsePhoneNumberFromString(edge, 'US')?.number).toBe(edge)
  })

  it('knows ISO country codes, and falls back to US for one it does not', () => {
    expect(isPhoneCountry('DE')).toBe(true)
    expect(isPhoneCountry('XX')).toBe(false)
    expect(normalizePhone('888 888 8888', 'XX')).toBe('+18888888888')
  })
})
