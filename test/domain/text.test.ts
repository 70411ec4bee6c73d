import { describe, expect, it } from 'vitest'
import { findUnstorableInput, isStorableText, MAX_INPUT_DEPTH } from '../../src/domain/text.js'

describe('storable text', () => {
  it('refuses NUL and unpaired surrogates, keeps every other character including pairs', () => {
    expect(isStorableText('Webinar VIP ü 😀 \u0001 \uFFFF')).toBe(true)
    for (const bad of ['a\u0000', '\ud800', 'x\udc00', '\udc00\ud800', 'ok\ud83d'])
      expect(isStorableText(bad), JSON.stringify(bad)).toBe(false)
  })

  it('finds the first bad string or key, or too deep a nesting, by path', () => {
    expect(findUnstorableInput({ a: ['ok', { b: 'x\u0000' }] })).toEqual({ path: 'a.1.b', reason: 'text' })
    expect(findUnstorableInput({ 'k\ud800': 1 })).toEqual({ path: 'k\ud800', reason: 'text' })
    expect(findUnstorableInput({ a: 1, b: [true, null, 'fine'] })).toBeUndefined()
    let deep: unknown = 'x'
    for (let i = 0; i < MAX_INPUT_DEPTH + 1; i++) deep = [deep]
    expect(findUnstorableInput(deep)?.reason).toBe('depth')
  })
})
