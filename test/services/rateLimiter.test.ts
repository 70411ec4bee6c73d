import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { InProcessRateLimiter, type RateLimiter, RedisRateLimiter } from '../../src/services/rateLimiter.js'
import { REDIS_URL } from '../helpers/databases.js'
import { TcpProxy } from '../helpers/tcpProxy.js'

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

  it('after one timeout of a frozen Redis, skips it for the cool-down instead of making every request wait', async () => {
    const redisPort = Number(new URL(REDIS_URL).port || 6379)
    const proxy = await TcpProxy.start(redisPort)
    const prefix = `tagbase-test:${randomUUID()}:`
    const limiter = new RedisRateLimiter(`redis://127.0.0.1:${proxy.port}`, policy, undefined, prefix, 1500)
    opened.push(limiter)
    const direct = new Redis(REDIS_URL)
    try {
      expect(await limiter.waitUntilReady(5000)).toBe(true)
      expect((await limiter.consume('t', NOW)).allowed).toBe(true)
      expect(await direct.keys(`${prefix}*`)).toHaveLength(2)

      proxy.blackhole() // connected, but nothing comes back: a frozen server
      const started = performance.now()
      const decisions = []
      for (let i = 0; i < 20; i++) decisions.push(await limiter.consume('t', NOW))
      // One command timeout (250 ms) in all, not twenty of them (5 s).
      expect(performance.now() - started).toBeLessThan(1000)
      expect(decisions.filter((d) => d.allowed)).toHaveLength(10) // the in-process limit holds

      await proxy.restore()
      await new Promise((r) => setTimeout(r, 1600)) // the cool-down ends; ioredis has reconnected
      await expect
        .poll(async () => {
          await limiter.consume('u', NOW)
          return (await direct.keys(`${prefix}u:*`)).length
        })
        .toBe(2)
    } finally {
      direct.disconnect()
      await proxy.close()
    }
  })
})
