import { describe, expect, it } from 'vitest'
import { percentDone } from '../../src/domain/activities.js'

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
