import { describe, expect, it } from 'vitest'
import {
  contactTagUpdatePayload,
  deliveryWebhookId,
  isWebhookUrl,
  retryDelayMs,
  tagsAfterEvent,
} from '../../src/domain/webhooks.js'

const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000 }

describe('webhook rules', () => {
  it('backs off exponentially with equal jitter, capped', () => {
    expect(retryDelayMs(1, policy, 0)).toBe(500)
    expect(retryDelayMs(1, policy, 1)).toBe(1000)
    expect(retryDelayMs(3, policy, 0.5)).toBe(3000)
    expect(retryDelayMs(10, policy, 1)).toBe(8000)
    expect(retryDelayMs(10, policy, 0)).toBe(4000)
  })

  it('gives each (webhook, event) a stable, distinct UUID-shaped webhookId', () => {
    expect(deliveryWebhookId('w1', 7)).toBe(deliveryWebhookId('w1', 7))
    expect(deliveryWebhookId('w1', 7)).not.toBe(deliveryWebhookId('w1', 8))
    expect(deliveryWebhookId('w1', 7)).not.toBe(deliveryWebhookId('w2', 7))
    expect(deliveryWebhookId('w1', 7)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('reverts later changes to show the tags right after an event', () => {
    const later = [
      { tagsAdded: ['c'], tagsRemoved: [] },
      { tagsAdded: [], tagsRemoved: ['a'] },
    ]
    expect(tagsAfterEvent(['b', 'c'], later)).toEqual(['a', 'b'])
    expect(tagsAfterEvent(['b'], [])).toEqual(['b'])
  })

  it('accepts only absolute http(s) URLs', () => {
    expect(isWebhookUrl('https://example.com/hook')).toBe(true)
    expect(isWebhookUrl('http://127.0.0.1:9/x')).toBe(true)
    expect(isWebhookUrl('ftp://example.com')).toBe(false)
    expect(isWebhookUrl('/relative')).toBe(false)
  })

  it('builds the ContactTagUpdate payload, leaving out fields the contact lacks', () => {
    const payload = contactTagUpdatePayload(
      {
        location_id: 'loc',
        id: 'c1',
        first_name: 'John',
        last_name: 'Deo',
        name: 'John Deo',
        email: 'john@example.com',
        phone: null,
        company_name: null,
        address1: null,
        city: null,
        state: null,
        postal_code: null,
        country: 'DE',
        website: null,
        source: null,
        date_of_birth: null,
        assigned_to: null,
        dnd: 1,
        extra: { customFields: [{ id: 'f', value: 'v' }] },
        created_at: '2026-01-01T00:00:00.000Z',
      },
      ['vip'],
      { appId: 'app', webhookId: 'w', timestamp: '2026-11-22T00:00:00.000Z' },
    )
    expect(payload).toEqual({
      type: 'ContactTagUpdate',
      locationId: 'loc',
      id: 'c1',
      country: 'DE',
      dateAdded: '2026-01-01T00:00:00.000Z',
      dnd: true,
      email: 'john@example.com',
      name: 'John Deo',
      firstName: 'John',
      lastName: 'Deo',
      tags: ['vip'],
      attachments: [],
      customFields: [{ id: 'f', value: 'v' }],
      appId: 'app',
      timestamp: '2026-11-22T00:00:00.000Z',
      webhookId: 'w',
    })
  })
})
