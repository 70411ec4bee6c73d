import { describe, expect, it } from 'vitest'
import { decideRateLimit, rateLimitHeaders, rateLimitWindowsAt } from '../../src/domain/rateLimits.js'

const policy = { burstMax: 3, burstIntervalMs: 10_000, dailyMax: 5 }

describe('rate limit windows and decisions', () => {
  it('aligns burst windows to the epoch and days to midnight UTC', () => {
    const now = Date.parse('2026-11-22T23:59:55.500Z')
    const windows = rateLimitWindowsAt(now, policy)
    expect(windows.day).toBe('2026-11-22')
    expect(windows.burstEndsAt - now).toBe(4_500)
    expect(windows.dayEndsAt).toBe(Date.parse('2026-11-23T00:00:00.000Z'))
    expect(rateLimitWindowsAt(windows.burstEndsAt, policy).burst).toBe(windows.burst + 1)
  })

  it('admits up to the burst allowance, then refuses until the window ends', () => {
    const now = 1_000_000
    const windows = rateLimitWindowsAt(now, policy)
    expect(decideRateLimit({ burst: 2, daily: 2 }, policy, windows, now)).toEqual({
      allowed: true,
      exceeded: null,
      burstRemaining: 0,
      dailyRemaining: 2,
      retryAfterMs: 0,
    })
    expect(decideRateLimit({ burst: 3, daily: 3 }, policy, windows, now)).toMatchObject({
      allowed: false,
      exceeded: 'burst',
      burstRemaining: 0,
      retryAfterMs: windows.burstEndsAt - now,
    })
  })

  it('reports the daily allowance when both are spent, so clients do not retry within the day', () => {
    const now = 1_000_000
    const windows = rateLimitWindowsAt(now, policy)
    const decision = decideRateLimit({ burst: 3, daily: 5 }, policy, windows, now)
    expect(decision).toMatchObject({ allowed: false, exceeded: 'daily', dailyRemaining: 0 })
    expect(decision.retryAfterMs).toBe(windows.dayEndsAt - now)
  })

  it('names the HighLevel headers, with Retry-After only on refusals', () => {
    const windows = rateLimitWindowsAt(0, policy)
    expect(rateLimitHeaders(policy, decideRateLimit({ burst: 0, daily: 0 }, policy, windows, 0))).toEqual({
      'x-ratelimit-max': '3',
      'x-ratelimit-interval-milliseconds': '10000',
      'x-ratelimit-remaining': '2',
      'x-ratelimit-limit-daily': '5',
      'x-ratelimit-daily-remaining': '4',
    })
    const refused = rateLimitHeaders(policy, decideRateLimit({ burst: 3, daily: 3 }, policy, windows, 2_500))
    expect(refused['retry-after']).toBe('8')
  })
})
