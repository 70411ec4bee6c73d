import { Redis } from 'ioredis'
import type { Logger } from 'pino'
import {
  DEFAULT_RATE_LIMIT_POLICY,
  decideRateLimit,
  type RateLimitDecision,
  type RateLimitPolicy,
  rateLimitWindowsAt,
} from '../domain/rateLimits.js'

/** Admits or refuses one request of a token and counts it when admitted. */
export interface RateLimiter {
  readonly policy: RateLimitPolicy
  consume(tokenId: string, nowMs?: number): Promise<RateLimitDecision>
  close(): Promise<void>
}

type Counter = { burstWindow: number; burst: number; day: string; daily: number }

/** Counts in this process's memory: right for one process, per process when there are several. */
export class InProcessRateLimiter implements RateLimiter {
  private readonly counters = new Map<string, Counter>()

  constructor(readonly policy: RateLimitPolicy = DEFAULT_RATE_LIMIT_POLICY) {}

  async consume(tokenId: string, nowMs = Date.now()): Promise<RateLimitDecision> {
    return this.consumeNow(tokenId, nowMs)
  }

  /** Synchronous, so two requests of one token can never interleave between check and count. */
  consumeNow(tokenId: string, nowMs: number): RateLimitDecision {
    const windows = rateLimitWindowsAt(nowMs, this.policy)
    let counter = this.counters.get(tokenId)
    if (!counter || counter.day !== windows.day) {
      if (!counter) this.forgetOtherDays(windows.day)
      counter = { burstWindow: windows.burst, burst: 0, day: windows.day, daily: 0 }
      this.counters.set(tokenId, counter)
    }
    if (counter.burstWindow !== windows.burst) {
      counter.burstWindow = windows.burst
      counter.burst = 0
    }
    const decision = decideRateLimit(counter, this.policy, windows, nowMs)
    if (decision.allowed) {
      counter.burst += 1
      counter.daily += 1
    }
    return decision
  }

  async close(): Promise<void> {}

  private forgetOtherDays(today: string): void {
    for (const [token, counter] of this.counters) if (counter.day !== today) this.counters.delete(token)
  }
}

/**
 * Check and count in one Lua script, so concurrent requests of one token in several processes
 * are admitted exactly up to the limits. Refused requests are not counted.
 */
const CONSUME_SCRIPT = `
local burst = tonumber(redis.call('GET', KEYS[1]) or '0')
local daily = tonumber(redis.call('GET', KEYS[2]) or '0')
if burst >= tonumber(ARGV[1]) or daily >= tonumber(ARGV[2]) then
  return {burst, daily, 0}
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {burst, daily, 1}
`

type RedisWithConsume = Redis & {
  tagbaseConsume(
    burstKey: string,
    dailyKey: string,
    burstMax: number,
    dailyMax: number,
    burstTtlMs: number,
    dailyTtlMs: number,
  ): Promise<[number, number, number]>
}

/** How long Redis is left alone after it failed to answer (then one request tries it again). */
export const REDIS_COOL_DOWN_MS = 5000

/**
 * Counts in Redis, shared by every process using the same REDIS_URL. When Redis cannot answer
 * within a short timeout the request is judged by an in-process counter instead, so a Redis
 * outage loosens the limits to per-process ones rather than failing or stalling the API.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RedisWithConsume
  private readonly fallback: InProcessRateLimiter
  private nextWarningAt = 0
  /**
   * Circuit breaker: after a failed or timed-out call Redis is skipped until this time, so a
   * frozen Redis costs one request one timeout per cool-down instead of every request one each.
   */
  private skipRedisUntil = 0

  constructor(
    url: string,
    readonly policy: RateLimitPolicy = DEFAULT_RATE_LIMIT_POLICY,
    private readonly logger?: Pick<Logger, 'warn'>,
    private readonly keyPrefix = 'tagbase:ratelimit:',
    private readonly coolDownMs = REDIS_COOL_DOWN_MS,
  ) {
    this.redis = new Redis(url, {
      // Never queue commands while disconnected: a request must not wait for Redis to return.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      lazyConnect: false,
    }) as RedisWithConsume
    this.redis.on('error', () => {})
    this.redis.defineCommand('tagbaseConsume', { numberOfKeys: 2, lua: CONSUME_SCRIPT })
    this.fallback = new InProcessRateLimiter(policy)
  }

  async consume(tokenId: string, nowMs = Date.now()): Promise<RateLimitDecision> {
    const windows = rateLimitWindowsAt(nowMs, this.policy)
    if (Date.now() < this.skipRedisUntil) return this.fallback.consumeNow(tokenId, nowMs)
    try {
      const [burst, daily] = await this.redis.tagbaseConsume(
        `${this.keyPrefix}${tokenId}:burst:${windows.burst}`,
        `${this.keyPrefix}${tokenId}:daily:${windows.day}`,
        this.policy.burstMax,
        this.policy.dailyMax,
        windows.burstEndsAt - nowMs + 1000,
        windows.dayEndsAt - nowMs + 60_000,
      )
      return decideRateLimit({ burst, daily }, this.policy, windows, nowMs)
    } catch (error) {
      this.skipRedisUntil = Date.now() + this.coolDownMs
      // Once per minute at most: during an outage every request lands here.
      if (nowMs >= this.nextWarningAt) {
        this.nextWarningAt = nowMs + 60_000
        this.logger?.warn({ err: error }, 'rate limit store unreachable; counting in this process')
      }
      return this.fallback.consumeNow(tokenId, nowMs)
    }
  }

  /** Resolves once connected, or after `timeoutMs` (requests then use the fallback until it is). */
  async waitUntilReady(timeoutMs = 2000): Promise<boolean> {
    if (this.redis.status === 'ready') return true
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady)
        this.logger?.warn('rate limit store not reachable yet; counting in this process meanwhile')
        resolve(false)
      }, timeoutMs)
      const onReady = () => {
        clearTimeout(timer)
        resolve(true)
      }
      this.redis.once('ready', onReady)
    })
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}

/** Redis-backed when a URL is given (waiting briefly for the connection), in-process otherwise. */
export async function createRateLimiter(
  options: { redisUrl?: string; policy?: RateLimitPolicy },
  logger?: Pick<Logger, 'warn'>,
): Promise<RateLimiter> {
  const policy = options.policy ?? DEFAULT_RATE_LIMIT_POLICY
  if (!options.redisUrl) return new InProcessRateLimiter(policy)
  const limiter = new RedisRateLimiter(options.redisUrl, policy, logger)
  await limiter.waitUntilReady()
  return limiter
}
