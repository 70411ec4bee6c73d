import { describe, expect, it } from 'vitest'
import { selectorOfTaggingBody } from '../../../src/http/constantcontact/activityBodies.js'

describe('selectorOfTaggingBody', () => {
  it('reads every source kind, each id once', () => {
    expect(selectorOfTaggingBody({ source: { contact_ids: ['a', 'a', 'b'] }, tag_ids: ['t', 't'] })).toEqual({
      ok: true,
      selector: { kind: 'contact_ids', contactIds: ['a', 'b'] },
      tagIds: ['t'],
    })
    expect(selectorOfTaggingBody({ source: { tag_ids: ['x'] }, tag_ids: ['t'] })).toMatchObject({
      selector: { kind: 'tag_ids', tagIds: ['x'] },
    })
    expect(selectorOfTaggingBody({ source: { new_subscriber: 'true' }, tag_ids: ['t'] })).toMatchObject({
      selector: { kind: 'new_subscriber' },
    })
  })

  it('takes exclude from the top level, or as an array or object inside source, but not from both', () => {
    for (const body of [
      { source: { all_active_contacts: true }, exclude: { contact_ids: ['x'] }, tag_ids: ['t'] },
      { source: { all_active_contacts: 'true' as const, exclude: ['x', 'x'] }, tag_ids: ['t'] },
      { source: { all_active_contacts: true, exclude: { contact_ids: ['x'] } }, tag_ids: ['t'] },
    ]) {
      expect(selectorOfTaggingBody(body)).toMatchObject({
        ok: true,
        selector: { kind: 'all_active_contacts', excludeContactIds: ['x'] },
      })
    }
    expect(
      selectorOfTaggingBody({
        source: { list_ids: ['l'], exclude: ['x'] },
        exclude: { contact_ids: ['y'] },
        tag_ids: ['t'],
      }),
    ).toMatchObject({ ok: false, problems: [{ field: 'exclude' }] })
  })

  it('treats a false flag as not chosen, and needs exactly one source', () => {
    expect(
      selectorOfTaggingBody({ source: { all_active_contacts: 'false', contact_ids: ['a'] }, tag_ids: ['t'] }),
    ).toMatchObject({ ok: true, selector: { kind: 'contact_ids' } })
    expect(selectorOfTaggingBody({ source: { new_subscriber: false }, tag_ids: ['t'] })).toMatchObject({
      ok: false,
      problems: [{ field: 'source' }],
    })
  })
})
