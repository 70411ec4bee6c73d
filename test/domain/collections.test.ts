import { describe, expect, it } from 'vitest'
import { groupBy } from '../../src/domain/collections.js'

describe('groupBy', () => {
  it('groups in item order, mapping values when asked', () => {
    const rows = [
      { contact: 'b', tag: 'x' },
      { contact: 'a', tag: 'y' },
      { contact: 'b', tag: 'z' },
    ]
    expect([
      ...groupBy(
        rows,
        (r) => r.contact,
        (r) => r.tag,
      ),
    ]).toEqual([
      ['b', ['x', 'z']],
      ['a', ['y']],
    ])
    expect(groupBy(rows, (r) => r.contact).get('a')).toEqual([{ contact: 'a', tag: 'y' }])
  })
})
