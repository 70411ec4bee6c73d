import { readFile } from 'node:fs/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import {
  cancelDashboardActivity,
  listLocationOverviews,
  readLiveLocationState,
  readLocationDashboard,
  requireDashboardLocation,
  startDashboardTagging,
  undoDashboardActivity,
} from '../../services/dashboard.js'
import { registerDashboardPassword } from './auth.js'
import { dashboardErrorHandler } from './errors.js'
import { LIVE_FEED_DEFAULTS, LiveFeed, type LiveFeedOptions } from './liveFeed.js'
import { ActivityParams, LocationParams, StartTaggingBody } from './schemas.js'

export type DashboardOptions = {
  /** HTTP Basic password for every dashboard route; unset: open, like the other operator routes. */
  password?: string
  liveFeed?: LiveFeedOptions
}

/** The page's files, served from memory; nothing else under /dashboard/ is a file. */
const ASSETS = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
} as const

async function loadAssets(): Promise<Map<string, Buffer>> {
  const files = await Promise.all(
    Object.keys(ASSETS).map(
      async (name) => [name, await readFile(new URL(`./page/${name}`, import.meta.url))] as const,
    ),
  )
  return new Map(files)
}

// The page loads its own script and style only, and talks only to this server.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * The operator's dashboard: a page at `/` and the JSON it reads under `/dashboard/api/` —
 * locations, tags with counts, activities with live progress (server-sent events), webhook
 * delivery health, and a form that starts tagging activities. Not part of either vendor API.
 */
export const dashboard: FastifyPluginAsyncTypebox<DashboardOptions> = async (app, options) => {
  const assets = await loadAssets()
  const feeds = new Set<LiveFeed<unknown>>()
  app.setErrorHandler(dashboardErrorHandler)
  if (options.password) registerDashboardPassword(app, options.password)
  // Streams never end on their own; closing the server ends them.
  app.addHook('preClose', async () => {
    for (const feed of feeds) feed.close()
  })

  const sendAsset = (name: keyof typeof ASSETS) => async (_request: unknown, reply: FastifyReply) =>
    reply
      .type(ASSETS[name])
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .send(assets.get(name))
  app.get('/', { schema: { hide: true } }, sendAsset('index.html'))
  app.get('/dashboard/dashboard.js', { schema: { hide: true } }, sendAsset('dashboard.js'))
  app.get('/dashboard/dashboard.css', { schema: { hide: true } }, sendAsset('dashboard.css'))

  app.get('/dashboard/api/locations', { schema: { hide: true } }, async () => ({
    locations: await listLocationOverviews(app.database),
  }))

  app.get(
    '/dashboard/api/locations/:locationId',
    { schema: { hide: true, params: LocationParams } },
    async (request) => readLocationDashboard(app.database, request.params.locationId),
  )

  app.post(
    '/dashboard/api/locations/:locationId/activities',
    { schema: { hide: true, params: LocationParams, body: StartTaggingBody } },
    async (request, reply) => {
      const activity = await startDashboardTagging(app.database, request.params.locationId, request.body)
      app.activityQueued()
      return reply.code(201).send({ activity })
    },
  )

  app.post(
    '/dashboard/api/locations/:locationId/activities/:activityId/cancel',
    { schema: { hide: true, params: ActivityParams } },
    async (request) => ({
      activity: await cancelDashboardActivity(
        app.database,
        request.params.locationId,
        request.params.activityId,
      ),
    }),
  )

  app.post(
    '/dashboard/api/locations/:locationId/activities/:activityId/undo',
    { schema: { hide: true, params: ActivityParams } },
    async (request, reply) => {
      const activity = await undoDashboardActivity(
        app.database,
        request.params.locationId,
        request.params.activityId,
      )
      app.activityQueued()
      return reply.code(201).send({ activity })
    },
  )

  app.get(
    '/dashboard/api/locations/:locationId/live',
    { schema: { hide: true, params: LocationParams } },
    async (request, reply) => {
      const { locationId } = request.params
      await requireDashboardLocation(app.database, locationId)
      reply.hijack()
      const feed = new LiveFeed(
        reply.raw,
        () => readLiveLocationState(app.database, locationId),
        request.log,
        options.liveFeed ?? LIVE_FEED_DEFAULTS,
      )
      feeds.add(feed)
      // The response closes when the browser goes away (or the server closes the feed).
      reply.raw.once('close', () => {
        feed.close()
        feeds.delete(feed)
      })
      feed.start()
    },
  )
}
