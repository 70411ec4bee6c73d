import { readFile } from 'node:fs/promises'
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply } from 'fastify'
import { streamActivityResults } from '../../services/activityResults.js'
import {
  cancelDashboardActivity,
  listLocationOverviews,
  readLiveLocationState,
  readLocationDashboard,
  requireDashboardLocation,
  startDashboardTagging,
  undoDashboardActivity,
} from '../../services/dashboard.js'
import { LOGIN_PATH, logIn, refuseCrossSiteWrites, registerDashboardCredentials } from './auth.js'
import { dashboardErrorHandler, sendDashboardError } from './errors.js'
import { LIVE_FEED_DEFAULTS, type LiveFeedOptions, LiveHub } from './liveFeed.js'
import { ActivityParams, LocationParams, StartTaggingBody } from './schemas.js'

export type DashboardOptions = {
  /** HTTP Basic password that opens the dashboard besides operator tokens (DASHBOARD_PASSWORD). */
  password?: string | undefined
  liveFeed?: Partial<LiveFeedOptions>
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

/** On every dashboard answer, errors included. */
const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
} as const

/**
 * The operator's dashboard: a page at `/` and the JSON it reads under `/dashboard/api/` —
 * locations, tags with counts, activities with live progress (server-sent events), webhook
 * delivery health, and a form that starts tagging activities. Not part of either vendor API.
 */
export const dashboard: FastifyPluginAsyncTypebox<DashboardOptions> = async (app, options) => {
  const assets = await loadAssets()
  const live = new LiveHub<unknown>(app.log, { ...LIVE_FEED_DEFAULTS, ...options.liveFeed })
  app.setErrorHandler(dashboardErrorHandler)
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(SECURITY_HEADERS)
    reply.header('cache-control', 'no-store')
  })
  registerDashboardCredentials(app, { password: options.password })
  refuseCrossSiteWrites(app)
  // Streams never end on their own; closing the server ends them.
  app.addHook('preClose', async () => live.close())

  const sendAsset = (name: keyof typeof ASSETS) => async (_request: unknown, reply: FastifyReply) =>
    reply.type(ASSETS[name]).header('cache-control', 'no-cache').send(assets.get(name))

  app.get(
    LOGIN_PATH,
    {
      schema: {
        hide: true,
        querystring: Type.Object({ token: Type.String({ maxLength: 200 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => logIn(app, request.query.token, reply, request.protocol === 'https'),
  )
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

  // Every contact the activity changed or skipped, as a CSV download (the /v3 results, complete).
  app.get(
    '/dashboard/api/locations/:locationId/activities/:activityId/results.csv',
    { schema: { hide: true, params: ActivityParams } },
    async (request, reply) => {
      const { locationId, activityId } = request.params
      // Looked up before answering, so an unknown activity is a 404, not an empty file.
      const csv = await streamActivityResults(app.database, locationId, activityId, 'csv')
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="activity-${activityId}-results.csv"`)
        .send(Readable.from(csv))
    },
  )

  app.get(
    '/dashboard/api/locations/:locationId/live',
    { schema: { hide: true, params: LocationParams } },
    async (request, reply) => {
      const { locationId } = request.params
      const credential = request.operatorCredential ?? 'unknown'
      if (!live.admits(credential))
        return sendDashboardError(reply, 429, 'Too many live streams are open; close other dashboard tabs')
      await requireDashboardLocation(app.database, locationId)
      reply.hijack()
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value)
      live.follow(locationId, credential, reply.raw, () => readLiveLocationState(app.database, locationId))
    },
  )
}
