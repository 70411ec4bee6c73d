import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { InProcessRateLimiter, type RateLimiter, RedisRateLimiter } from '../../src/services/rateLimiter.js'
import { REDIS_URL } from '../helpers/databases.js'

const policy = { burstMax: 10, burstIntervalMs: 60_000, dailyMax: 25 }

async function redisLimiter(prefix: string): Promise<RedisRateLimiter> {
  const limiter = new RedisRateLimiter(REDIS_URL, policy, undefined, prefix)
  expect(await limiter.waitUntilReady(5000)).toBe(true)
  return limiter
}

const opened: RateLimiter[] = []
afterAll(async () => {
  for (const limiter of opened) await limiter.close()
})

// A fixed instant early in a burst window, so no test straddles two windows.
const NOW = 120_000_000_000

describe('in-process rate limiter', () => {
  it('counts admitted requests per token and resets with the window', async () => {
    const limiter = new InProcessRateLimiter(policy)
    const decisions = await Promise.all(Array.from({ length: 12 }, () => limiter.consume('t1', NOW)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10)
    expect((await limiter.consume('t2', NOW)).allowed).toBe(true)
    const next = await limiter.consume('t1', NOW + policy.burstIntervalMs)
    expect(next).toMatchObject({ allowed: true, burstRemaining: 9, dailyRemaining: 14 })
  })
})

describe('Redis rate limiter', () => {
  it('shares one allowance between processes: concurrent requests are admitted exactly up to it', async () => {
    const prefix = `tagbase-test:${randomUUID()}:`
    const a = await redisLimiter(prefix)
    const b = await redisLimiter(prefix)
    opened.push(a, b)
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).consume('token', NOW)),
    )
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10)
    expect(decisions.filter((d) => !d.allowed).every((d) => d.exceeded === 'burst')).toBe(true)

    // Next window: the daily allowance (25) runs out after 15 more.
    const later = NOW + policy.burstIntervalMs
    const more = []
    for (let i = 0; i < 10; i++) more.push(await a.consume('token', later))
    const third = NOW + 2 * policy.burstIntervalMs
    for (let i = 0; i < 6; i++) more.push(await b.consume('token', third))
    expect(more.filter((d) => d.allowed)).toHaveLength(15)
    expect(more.at(-1)).toMatchObject({ allowed: false, exceeded: 'daily', dailyRemaining: 0 })
  })

  it('falls back to counting in-process when Redis cannot be reached, without stalling', async () => {
    const limiter = new RedisRateLimiter('redis://127.0.0.1:1', policy)
    opened.push(limiter)
    expect(await limiter.waitUntilReady(200)).toBe(false)
    // A stalled request would hang past the test timeout: no command waits for a connection.
    const decisions = await Promise.all(Array.from({ length: 11 }, () => limiter.consume('t', NOW)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10)
  })
})
