/**
 * Per-token request limits, HighLevel style: a burst allowance per fixed window and a daily
 * allowance per UTC day. Windows are aligned (to the epoch, to midnight UTC) so every process
 * counting a token agrees on which window a request falls in.
 */
export type RateLimitPolicy = {
  burstMax: number
  burstIntervalMs: number
  dailyMax: number
}

export const DEFAULT_RATE_LIMIT_POLICY: RateLimitPolicy = Object.freeze({
  burstMax: 100,
  burstIntervalMs: 10_000,
  dailyMax: 200_000,
})

const DAY_MS = 86_400_000

export type RateLimitWindows = {
  /** Index of the burst window since the epoch. */
  burst: number
  /** The UTC day, YYYY-MM-DD. */
  day: string
  burstEndsAt: number
  dayEndsAt: number
}

export function rateLimitWindowsAt(nowMs: number, policy: RateLimitPolicy): RateLimitWindows {
  const burst = Math.floor(nowMs / policy.burstIntervalMs)
  const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS
  return {
    burst,
    day: new Date(dayStart).toISOString().slice(0, 10),
    burstEndsAt: (burst + 1) * policy.burstIntervalMs,
    dayEndsAt: dayStart + DAY_MS,
  }
}

export type RateLimitDecision = {
  allowed: boolean
  /** Which allowance refused the request; the daily one wins when both are spent. */
  exceeded: 'burst' | 'daily' | null
  burstRemaining: number
  dailyRemaining: number
  /** Milliseconds until the refusing window ends (0 when allowed). */
  retryAfterMs: number
}

/**
 * The decision for a request, from the counts of requests already admitted in its windows.
 * A refused request is not counted, so a client retrying after the burst window is not charged
 * for the refusals against its daily allowance.
 */
export function decideRateLimit(
  admitted: { burst: number; daily: number },
  policy: RateLimitPolicy,
  windows: RateLimitWindows,
  nowMs: number,
): RateLimitDecision {
  const dailySpent = admitted.daily >= policy.dailyMax
  const burstSpent = admitted.burst >= policy.burstMax
  if (dailySpent || burstSpent) {
    return {
      allowed: false,
      exceeded: dailySpent ? 'daily' : 'burst',
      burstRemaining: Math.max(0, policy.burstMax - admitted.burst),
      dailyRemaining: Math.max(0, policy.dailyMax - admitted.daily),
      retryAfterMs: (dailySpent ? windows.dayEndsAt : windows.burstEndsAt) - nowMs,
    }
  }
  return {
    allowed: true,
    exceeded: null,
    burstRemaining: policy.burstMax - admitted.burst - 1,
    dailyRemaining: policy.dailyMax - admitted.daily - 1,
    retryAfterMs: 0,
  }
}

/** The headers HighLevel sends on every response (the SDK's rateLimitRetry reads them). */
export function rateLimitHeaders(
  policy: RateLimitPolicy,
  decision: RateLimitDecision,
): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-max': String(policy.burstMax),
    'x-ratelimit-interval-milliseconds': String(policy.burstIntervalMs),
    'x-ratelimit-remaining': String(decision.burstRemaining),
    'x-ratelimit-limit-daily': String(policy.dailyMax),
    'x-ratelimit-daily-remaining': String(decision.dailyRemaining),
  }
  if (!decision.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)))
  return headers
}
