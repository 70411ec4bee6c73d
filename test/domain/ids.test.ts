import { describe, expect, it } from 'vitest'
import {
  firebaseIdAt,
  firebaseIdToUuid,
  hashAccessToken,
  isFirebaseId,
  newAccessTokenSecret,
  newFirebaseId,
  uuidToFirebaseId,
} from '../../src/domain/ids.js'

describe('firebase ids', () => {
  it('are 20 base62 characters and do not repeat', () => {
    const ids = new Set(Array.from({ length: 2000 }, newFirebaseId))
    expect(ids.size).toBe(2000)
    for (const id of ids) expect(id).toMatch(/^[0-9A-Za-z]{20}$/)
  })

  it('uses the whole alphabet', () => {
    const seen = new Set(Array.from({ length: 500 }, newFirebaseId).join(''))
    expect(seen.size).toBe(62)
  })

  it('sort by creation time, in byte order and in a locale collation alike', () => {
    const start = Date.parse('2026-12-01T00:00:00Z')
    const ids = [0, 1, 35, 36, 1000, 86_400_000, 10 * 365 * 86_400_000].map((ms) => firebaseIdAt(start + ms))
    expect([...ids].sort()).toEqual(ids)
    const collation = new Intl.Collator('en-US')
    expect([...ids].sort((a, b) => collation.compare(a.slice(0, 9), b.slice(0, 9)))).toEqual(ids)
    // The prefix is the time: ids of one millisecond share it.
    expect(firebaseIdAt(start).slice(0, 9)).toBe(firebaseIdAt(start).slice(0, 9))
    expect(firebaseIdAt(start).slice(0, 9)).toBe(start.toString(36).padStart(9, '0'))
  })

  it.each([
    ['qFSqySFkVvNzOSqgGqFi', true],
    ['abcdef', false],
    ['qFSqySFkVvNzOSqgGqF', false],
    ['qFSqySFkVvNzOSqgGqFiX', false],
    ['qFSqySFkVvNzOSqgGq-i', false],
    ['', false],
  ])('isFirebaseId(%j) is %s', (value, expected) => {
    expect(isFirebaseId(value)).toBe(expected)
  })
})

describe('access tokens', () => {
  it('look like private integration tokens and hash deterministically', () => {
    const secret = newAccessTokenSecret()
    expect(secret).toMatch(/^pit-[0-9a-f-]{36}$/)
    expect(hashAccessToken(secret)).toBe(hashAccessToken(secret))
    expect(hashAccessToken(secret)).not.toContain(secret)
    expect(hashAccessToken(secret)).not.toBe(hashAccessToken(newAccessTokenSecret()))
  })
})

describe('Constant Contact UUIDs for 20-character ids', () => {
  it('map one to one, as version-8 UUIDs, both ways, for the smallest, largest and random ids', () => {
    for (const id of [
      '00000000000000000000',
      'zzzzzzzzzzzzzzzzzzzz',
      ...Array.from({ length: 500 }, newFirebaseId),
    ]) {
      const uuid = firebaseIdToUuid(id)
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(uuidToFirebaseId(uuid)).toBe(id)
      expect(uuidToFirebaseId(uuid.toUpperCase())).toBe(id)
    }
  })

  it('sort alike, so pages keep their order in both dialects', () => {
    const ids = Array.from({ length: 1000 }, newFirebaseId).sort()
    const uuids = ids.map(firebaseIdToUuid)
    expect([...uuids].sort()).toEqual(uuids)
  })

  it('name no id for other UUIDs: random (v4), wrong variant, or beyond 62^20', () => {
    expect(uuidToFirebaseId('1b8bda78-7c47-41ea-8c2a-fa163e6a92d8')).toBeUndefined()
    expect(uuidToFirebaseId('00000000-0000-8000-0000-000000000000')).toBeUndefined()
    expect(uuidToFirebaseId('ffffffff-ffff-8fff-bfff-ffffffffffff')).toBeUndefined()
    expect(uuidToFirebaseId('not-a-uuid')).toBeUndefined()
  })
})
