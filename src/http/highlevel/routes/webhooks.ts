import {
  HighLevelErrorDocument,
  RedrivenDocument,
  SucceededDocument,
  WebhookDocument,
  WebhooksDocument,
} from '../responses.js'

const WEBHOOK_NOT_FOUND = { ...HighLevelErrorDocument, description: 'No such webhook in this location' }

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  getWebhook,
  listWebhooksWithHealth,
  redriveWebhookDeliveries,
  registerWebhook,
  removeWebhook,
  type WebhookView,
} from '../../../services/webhooks.js'
import type { WebhookRow } from '../../../store/webhooks.js'
import { LocationParams, LocationWebhookParams, WebhookBody } from '../schemas.js'

/**
 * Tagbase's own routes for ContactTagUpdate webhooks of a location, in the HighLevel dialect
 * (HighLevel registers webhooks per marketplace app, with no public API to copy). Receiving
 * contact events needs contacts.readonly there, so listing does here; changing needs contacts.write.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const read = { scope: 'contacts.readonly', locationFrom: 'params' } as const
  const write = { scope: 'contacts.write', locationFrom: 'params' } as const

  app.get(
    '/locations/:locationId/webhooks',
    {
      schema: { params: LocationParams },
      config: { ...read, documentedResponses: { 200: WebhooksDocument } },
    },
    async (request) => {
      const webhooks = await listWebhooksWithHealth(app.database, request.params.locationId)
      return { webhooks: webhooks.map(presentWebhook) }
    },
  )

  app.post(
    '/locations/:locationId/webhooks',
    {
      schema: { params: LocationParams, body: WebhookBody },
      config: { ...write, documentedResponses: { 201: WebhookDocument } },
    },
    async (request, reply) => {
      const webhook = await registerWebhook(
        app.database,
        request.params.locationId,
        request.body,
        app.webhookTargets,
      )
      return reply.code(201).send({ webhook: presentWebhook(webhook) })
    },
  )

  app.get(
    '/locations/:locationId/webhooks/:webhookId',
    {
      schema: { params: LocationWebhookParams },
      config: { ...read, documentedResponses: { 200: WebhookDocument, 404: WEBHOOK_NOT_FOUND } },
    },
    async (request) => {
      const { locationId, webhookId } = request.params
      return { webhook: presentWebhook(await getWebhook(app.database, locationId, webhookId)) }
    },
  )

  app.delete(
    '/locations/:locationId/webhooks/:webhookId',
    {
      schema: { params: LocationWebhookParams },
      config: { ...write, documentedResponses: { 200: SucceededDocument, 404: WEBHOOK_NOT_FOUND } },
    },
    async (request) => {
      await removeWebhook(app.database, request.params.locationId, request.params.webhookId)
      return { succeded: true }
    },
  )

  app.post(
    '/locations/:locationId/webhooks/:webhookId/redrive',
    {
      schema: { params: LocationWebhookParams },
      config: { ...write, documentedResponses: { 200: RedrivenDocument, 404: WEBHOOK_NOT_FOUND } },
    },
    async (request) => {
      const { locationId, webhookId } = request.params
      return { redriven: await redriveWebhookDeliveries(app.database, locationId, webhookId) }
    },
  )
}

function presentWebhook(webhook: WebhookRow | WebhookView) {
  return {
    id: webhook.id,
    locationId: webhook.location_id,
    url: webhook.url,
    appId: webhook.app_id,
    events: webhook.event_types,
    dateAdded: webhook.created_at,
    consecutiveFailures: webhook.consecutive_failures,
    pausedUntil: webhook.paused_until,
    lastError: webhook.last_error,
    ...('deliveries' in webhook ? { deliveries: webhook.deliveries } : {}),
  }
}
