import { describe, expect, it } from 'vitest'
import {
  type AppliedTagChange,
  bulkContactOutcomes,
  type ContactUnavailability,
  tagsAfter,
} from '../../src/domain/bulkTagOutcomes.js'
import { presentBulkTagResponse } from '../../src/http/highlevel/bulkTagResponse.js'

/** The domain's outcomes as HighLevel's endpoint words them. */
const shapeBulkTagResponse = (
  ids: string[],
  unavailable: ReadonlyMap<string, ContactUnavailability>,
  applied: ReadonlyMap<string, AppliedTagChange>,
) => presentBulkTagResponse(bulkContactOutcomes(ids, unavailable, applied))

const A = 'qFSqySFkVvNzOSqgGqFi'
const B = '3ualbhnV7j3n3a9r2moD'
const C = 'Cccccccccccccccccccc'
const D = 'Dddddddddddddddddddd'

describe('bulk tag outcomes, as HighLevel words them', () => {
  it('answers every requested id in order with the exact HighLevel messages', () => {
    const applied = new Map<string, AppliedTagChange>([
      [A, { oldTags: ['tag-1'], added: ['tag-2'], removed: [] }],
    ])
    const unavailable = new Map([
      [B, 'other-location' as const],
      [C, 'deleted' as const],
    ])
    const result = shapeBulkTagResponse([A, 'abcdef', C, B, D], unavailable, applied)
    expect(result).toEqual({
      succeded: false,
      errorCount: 4,
      responses: [
        {
          contactId: A,
          message: 'Tags updated',
          type: 'success',
          oldTags: ['tag-1'],
          tagsAdded: ['tag-2'],
          tagsRemoved: [],
        },
        { contactId: 'abcdef', message: 'contact id is not a valid firebase id', type: 'error' },
        { contactId: C, message: 'contact is deleted', type: 'error' },
        { contactId: B, message: 'contact does not belong to location', type: 'error' },
        { contactId: D, message: 'contact not found', type: 'error' },
      ],
    })
  })

  it('shows a repeated id the state its first occurrence left', () => {
    const applied = new Map<string, AppliedTagChange>([
      [A, { oldTags: ['b', 'x'], added: ['a'], removed: ['x'] }],
    ])
    const { responses, succeded, errorCount } = shapeBulkTagResponse([A, A], new Map(), applied)
    expect(succeded).toBe(true)
    expect(errorCount).toBe(0)
    expect(responses[1]).toEqual({
      contactId: A,
      message: 'Tags updated',
      type: 'success',
      oldTags: ['a', 'b'],
      tagsAdded: [],
      tagsRemoved: [],
    })
  })

  it('computes tags after a change in name order', () => {
    expect(tagsAfter({ oldTags: ['c', 'a'], added: ['b'], removed: ['c'] })).toEqual(['a', 'b'])
  })
})
