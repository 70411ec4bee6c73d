import { HighLevel, type HighLevelConfig } from '@gohighlevel/api-client'

/**
 * The official HighLevel SDK pointed at a Tagbase server. BASE_URL is read when a client is
 * constructed; `extra` adds SDK settings (rateLimitRetry, …).
 */
export function highLevelSdk(
  baseUrl: string,
  token: string,
  extra: Partial<HighLevelConfig> = {},
): HighLevel {
  ;(HighLevel as unknown as { BASE_URL: string }).BASE_URL = baseUrl
  return new HighLevel({
    privateIntegrationToken: token,
    apiVersion: '2021-07-28',
    logLevel: 'none',
    ...extra,
  })
}
