import { describe, expect, it } from 'vitest'
import { parseScopeList } from '../../src/domain/scopes.js'
import { normalizeTagList, normalizeTagName, sortTagNames, tagNameProblem } from '../../src/domain/tags.js'

describe('tag names', () => {
  it('are trimmed and lower-cased', () => {
    expect(normalizeTagName('  VIP Customer ')).toBe('vip customer')
  })

  it('must be non-empty and at most 255 characters', () => {
    expect(tagNameProblem('')).toBe('empty')
    expect(tagNameProblem('a'.repeat(255))).toBeUndefined()
    expect(tagNameProblem('a'.repeat(256))).toBe('too-long')
  })

  it('lists keep first-seen order and drop case-insensitive repeats', () => {
    expect(normalizeTagList(['B', 'a', ' b ', 'A', 'c'])).toEqual({ ok: true, names: ['b', 'a', 'c'] })
  })

  it('lists report every bad entry by index', () => {
    expect(normalizeTagList(['ok', '  ', 'x'.repeat(300)])).toEqual({
      ok: false,
      problems: [
        { index: 1, problem: 'empty' },
        { index: 2, problem: 'too-long' },
      ],
    })
  })

  it('sort by code point, independent of locale', () => {
    expect(sortTagNames(['b', 'a-2', 'a', 'a-10'])).toEqual(['a', 'a-10', 'a-2', 'b'])
  })
})

describe('scope lists', () => {
  it('accept commas or spaces, dedupe, and report unknown names', () => {
    expect(parseScopeList('contacts.write, contacts.readonly contacts.write,nope')).toEqual({
      scopes: ['contacts.write', 'contacts.readonly'],
      unknown: ['nope'],
    })
  })
})
