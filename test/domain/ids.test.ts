import { describe, expect, it } from 'vitest'
import { hashAccessToken, isFirebaseId, newAccessTokenSecret, newFirebaseId } from '../../src/domain/ids.js'

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
