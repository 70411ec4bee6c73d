import { describe, expect, it } from 'vitest'
import { parseIsoInstant } from '../../src/domain/instants.js'

describe('ISO-8601 instants in query filters', () => {
  it('reads dates, date-times, fractions and offsets as the stored UTC form', () => {
    expect(parseIsoInstant('2026-03-01')).toBe('2026-03-01T00:00:00.000Z')
    expect(parseIsoInstant('2026-03-01T10:20')).toBe('2026-03-01T10:20:00.000Z')
    expect(parseIsoInstant('2026-03-01T10:20:30.123456Z')).toBe('2026-03-01T10:20:30.123Z')
    expect(parseIsoInstant('2026-03-01T10:20:30+02:00')).toBe('2026-03-01T08:20:30.000Z')
    expect(parseIsoInstant('2026-03-01T10:20:30-0530')).toBe('2026-03-01T15:50:30.000Z')
  })

  it('refuses what is not one, and dates that do not exist', () => {
    for (const text of [
      'March 1',
      '2026-3-1',
      '2026-02-30',
      '2026-13-01',
      '2026-03-01T25:00',
      '1700000000',
      '',
    ])
      expect(parseIsoInstant(text), text).toBeNull()
  })
})
