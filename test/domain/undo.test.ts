import { describe, expect, it } from 'vitest'
import { decideUndo } from '../../src/domain/undo.js'

const ids = new Map([
  ['promo', 't1'],
  ['vip', 't2'],
])

describe('undo decisions', () => {
  it('takes back what was added and puts back what was removed', () => {
    expect(
      decideUndo({ contactId: 'c', tagsAdded: ['promo'], tagsRemoved: ['vip'] }, [], false, ids),
    ).toEqual({
      contactId: 'c',
      kind: 'restore',
      remove: ['t1'],
      add: ['t2'],
    })
  })

  it('leaves a contact alone when a later change touched one of those tags, either way', () => {
    const change = { contactId: 'c', tagsAdded: ['promo'], tagsRemoved: [] }
    expect(decideUndo(change, [{ tagsAdded: [], tagsRemoved: ['promo'] }], false, ids).kind).toBe('skip')
    expect(decideUndo(change, [{ tagsAdded: ['promo'], tagsRemoved: [] }], false, ids).kind).toBe('skip')
    expect(decideUndo(change, [{ tagsAdded: ['other'], tagsRemoved: [] }], false, ids).kind).toBe('restore')
  })

  it('leaves deleted contacts and tags renamed or deleted since alone', () => {
    const change = { contactId: 'c', tagsAdded: ['promo'], tagsRemoved: [] }
    expect(decideUndo(change, [], true, ids)).toEqual({ contactId: 'c', kind: 'skip', reason: 'deleted' })
    expect(decideUndo(change, [], false, new Map())).toEqual({
      contactId: 'c',
      kind: 'skip',
      reason: 'tags-gone',
    })
  })
})
