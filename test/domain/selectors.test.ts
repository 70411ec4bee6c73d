import { describe, expect, it } from 'vitest'
import { percentDone } from '../../src/domain/activities.js'
import { parseTagDeleteRequest, parseTaggingRequest } from '../../src/domain/selectors.js'

describe('parseTaggingRequest', () => {
  it('reads every source kind', () => {
    expect(parseTaggingRequest({ source: { contact_ids: ['a', 'a', 'b'] }, tag_ids: ['t'] })).toEqual({
      ok: true,
      selector: { kind: 'contact_ids', contactIds: ['a', 'b'] },
      tagIds: ['t'],
    })
    expect(parseTaggingRequest({ source: { tag_ids: ['x'] }, tag_ids: ['t'] })).toMatchObject({
      selector: { kind: 'tag_ids', tagIds: ['x'] },
    })
    expect(parseTaggingRequest({ source: { new_subscriber: 'true' }, tag_ids: ['t'] })).toMatchObject({
      selector: { kind: 'new_subscriber' },
    })
  })

  it('takes exclude from the top level, or as an array or object inside source', () => {
    for (const body of [
      { source: { all_active_contacts: true }, exclude: { contact_ids: ['x'] }, tag_ids: ['t'] },
      { source: { all_active_contacts: 'true', exclude: ['x'] }, tag_ids: ['t'] },
      { source: { all_active_contacts: true, exclude: { contact_ids: ['x'] } }, tag_ids: ['t'] },
    ]) {
      expect(parseTaggingRequest(body)).toMatchObject({
        ok: true,
        selector: { kind: 'all_active_contacts', excludeContactIds: ['x'] },
      })
    }
    expect(
      parseTaggingRequest({
        source: { list_ids: ['l'], exclude: ['x'] },
        exclude: { contact_ids: ['y'] },
        tag_ids: ['t'],
      }),
    ).toMatchObject({ ok: false, problems: [{ field: 'exclude' }] })
  })

  it('treats a false flag as not chosen', () => {
    expect(
      parseTaggingRequest({ source: { all_active_contacts: 'false', contact_ids: ['a'] }, tag_ids: ['t'] }),
    ).toMatchObject({ ok: true, selector: { kind: 'contact_ids' } })
  })

  it('names each problem’s field', () => {
    const parsed = parseTaggingRequest({ source: { contact_ids: [1] }, tag_ids: 'x' })
    expect(parsed).toMatchObject({
      ok: false,
      problems: [{ field: 'tag_ids' }, { field: 'source.contact_ids' }],
    })
  })
})

describe('parseTagDeleteRequest', () => {
  it('needs 1..500 tag ids and nothing else', () => {
    expect(parseTagDeleteRequest({ tag_ids: ['a'] })).toEqual({ ok: true, tagIds: ['a'] })
    expect(parseTagDeleteRequest({ tag_ids: Array.from({ length: 501 }, (_, i) => `t${i}`) })).toMatchObject({
      ok: false,
    })
    expect(parseTagDeleteRequest({ tag_ids: ['a'], source: {} })).toMatchObject({ ok: false })
  })
})

describe('percentDone', () => {
  it('is 1 when queued, the processed share while running (never 100), 100 when completed', () => {
    expect(percentDone('initialized', null, 0)).toBe(1)
    expect(percentDone('processing', 1000, 0)).toBe(1)
    expect(percentDone('processing', 1000, 500)).toBe(50)
    expect(percentDone('processing', 1000, 1000)).toBe(99)
    expect(percentDone('completed', 0, 0)).toBe(100)
    expect(percentDone('cancelled', 1000, 300)).toBe(30)
  })
})
