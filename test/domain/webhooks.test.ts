import { describe, expect, it } from 'vitest'
import { deliveryWebhookId, isWebhookUrl, retryDelayMs, tagsAfterEvent } from '../../src/domain/webhooks.js'

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
})
