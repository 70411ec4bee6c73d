import { randomUUID } from 'node:crypto'
import { GHLError } from '@gohighlevel/api-client'
import { afterEach, describe, expect, it } from 'vitest'
import type { RateLimitPolicy } from '../../src/domain/rateLimits.js'
import { InProcessRateLimiter, type RateLimiter, RedisRateLimiter } from '../../src/services/rateLimiter.js'
import { DIALECTS, REDIS_URL } from '../helpers/databases.js'
import { makeToken } from '../helpers/fixtures.js'
import { highLevelSdk } from '../helpers/sdk.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

/** Counts refusals, so a test can tell a retried 429 from no 429 at all. */
function counting(limiter: RateLimiter): RateLimiter & { refused: number } {
  const counted = {
    policy: limiter.policy,
    refused: 0,
    async consume(tokenId: string, nowMs?: number) {
      const decision = await limiter.consume(tokenId, nowMs)
      if (!decision.allowed) counted.refused += 1
      return decision
    },
    close: () => limiter.close(),
  }
  return counted
}

/** Waits for the start of the next burst window, so a few quick requests all land in one window. */
function nextWindow(intervalMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, intervalMs - (Date.now() % intervalMs) + 20))
}

/**
 * Windows are aligned to the clock: a test that counts within one window of `intervalMs` waits
 * for the next when the current one ends within `marginMs` (a minute's end is also where a day
 * ends), instead of seeing its count reset halfway.
 */
async function clearOfWindowEnd(intervalMs: number, marginMs = 5000): Promise<void> {
  if (intervalMs - (Date.now() % intervalMs) < marginMs) await nextWindow(intervalMs)
}

for (const dialect of DIALECTS) {
  describe(`rate limits on ${dialect}`, () => {
    let s: TestServer | undefined
    afterEach(async () => {
      await s?.close()
      s = undefined
    })

    async function serverWith(policy: RateLimitPolicy, redis = false) {
      const limiter = redis
        ? new RedisRateLimiter(REDIS_URL, policy, undefined, `tagbase-test:${randomUUID()}:`)
        : new InProcessRateLimiter(policy)
      if (limiter instanceof RedisRateLimiter) expect(await limiter.waitUntilReady(5000)).toBe(true)
      const limited = counting(limiter)
      s = await startTestServer(dialect, { rateLimiter: limited })
      return { server: s, limited }
    }

    it('puts the limit headers on every authenticated answer, errors included', async () => {
      const { server } = await serverWith({ burstMax: 50, burstIntervalMs: 60_000, dailyMax: 1000 })
      await clearOfWindowEnd(60_000)
      const ok = await server.request('GET', `/locations/${server.locationId}/tags`)
      expect(ok.status).toBe(200)
      const remaining = Number(ok.headers.get('x-ratelimit-remaining'))
      expect(remaining).toBeLessThan(50)
      expect(ok.headers.get('x-ratelimit-max')).toBe('50')
      expect(ok.headers.get('x-ratelimit-interval-milliseconds')).toBe('60000')
      expect(ok.headers.get('x-ratelimit-limit-daily')).toBe('1000')
      expect(Number(ok.headers.get('x-ratelimit-daily-remaining'))).toBe(1000 - (50 - remaining))
      const invalid = await server.request('POST', '/contacts/bulk/tags/update/add', { body: {} })
      expect(invalid.status).toBe(422)
      expect(Number(invalid.headers.get('x-ratelimit-remaining'))).toBe(remaining - 1)
      const v3 = await server.request('GET', '/v3/contact_tags')
      expect(v3.status).toBe(200)
      expect(Number(v3.headers.get('x-ratelimit-remaining'))).toBe(remaining - 2)
    })

    it("puts them on 403 answers too: a token without the route's scope, in both dialects", async () => {
      const { server } = await serverWith({ burstMax: 50, burstIntervalMs: 60_000, dailyMax: 1000 })
      await clearOfWindowEnd(60_000)
      const readOnly = await makeToken(server.database, server.locationId, ['contacts.readonly'])
      const highLevel = await server.request('POST', '/contacts/bulk/tags/update/add', {
        body: { contacts: [], tags: ['x'], locationId: server.locationId },
        token: readOnly,
      })
      expect(highLevel.status).toBe(403)
      const first = Number(highLevel.headers.get('x-ratelimit-remaining'))
      expect(first).toBe(49)
      const constantContact = await server.request('GET', '/v3/contact_tags', {
        token: readOnly,
        version: null,
      })
      expect(constantContact.status).toBe(403)
      expect(Number(constantContact.headers.get('x-ratelimit-remaining'))).toBe(first - 1)
      expect(constantContact.headers.get('x-ratelimit-limit-daily')).toBe('1000')
    })

    it('refuses a spent burst with 429 in each dialect format, per token, and admits again next window', async () => {
      const { server } = await serverWith({ burstMax: 3, burstIntervalMs: 1500, dailyMax: 1000 })
      await nextWindow(1500)
      for (let i = 0; i < 3; i++)
        expect((await server.request('GET', `/locations/${server.locationId}/tags`)).status).toBe(200)
      const highLevel = await server.request('GET', `/locations/${server.locationId}/tags`)
      expect(highLevel.status).toBe(429)
      expect(highLevel.body).toEqual({
        statusCode: 429,
        message: expect.stringContaining('burst'),
        error: 'Too Many Requests',
      })
      expect(highLevel.headers.get('x-ratelimit-remaining')).toBe('0')
      expect(Number(highLevel.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
      const constantContact = await server.request('GET', '/v3/contact_tags')
      expect(constantContact.status).toBe(429)
      expect(constantContact.body).toEqual([
        { error_key: 'http.status.too_many_requests', error_message: expect.any(String) },
      ])
      // Another token of the same location has its own allowance.
      const second = await makeToken(server.database, server.locationId)
      expect((await server.request('GET', '/v3/contact_tags', { token: second })).status).toBe(200)

      await nextWindow(1500)
      expect((await server.request('GET', `/locations/${server.locationId}/tags`)).status).toBe(200)
    })

    it('refuses a spent daily allowance with the daily remaining at 0', async () => {
      const { server } = await serverWith({ burstMax: 100, burstIntervalMs: 10_000, dailyMax: 2 })
      await clearOfWindowEnd(60_000) // not across midnight, where the day's count starts over
      await server.request('GET', '/v3/contact_tags')
      await server.request('GET', '/v3/contact_tags')
      const refused = await server.request('GET', `/locations/${server.locationId}/tags`)
      expect(refused.status).toBe(429)
      expect(refused.body.message).toContain('daily')
      expect(refused.headers.get('x-ratelimit-daily-remaining')).toBe('0')
    })

    it('lets the official SDK recover from a burst 429 with rateLimitRetry (Redis-shared counters)', async () => {
      const { server, limited } = await serverWith(
        { burstMax: 2, burstIntervalMs: 1000, dailyMax: 1000 },
        true,
      )
      await nextWindow(1000)
      const withoutRetry = highLevelSdk(server.baseUrl, server.token, { rateLimitRetry: false })
      const plain = await Promise.allSettled(
        Array.from({ length: 4 }, () =>
          withoutRetry.locations.getLocationTags({ locationId: server.locationId }),
        ),
      )
      const failures = plain.filter((r) => r.status === 'rejected')
      expect(failures.length).toBeGreaterThan(0)
      expect((failures[0] as PromiseRejectedResult).reason).toBeInstanceOf(GHLError)
      expect(((failures[0] as PromiseRejectedResult).reason as GHLError).statusCode).toBe(429)

      const refusedBefore = limited.refused
      await nextWindow(1000)
      const retrying = highLevelSdk(server.baseUrl, server.token, { rateLimitRetry: true })
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          retrying.locations.getLocationTags({ locationId: server.locationId }),
        ),
      )
      expect(answers.every((a) => Array.isArray(a.tags))).toBe(true)
      expect(limited.refused).toBeGreaterThan(refusedBefore)
    })
  })
}
