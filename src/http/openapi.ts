import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema } from 'fastify'
import { TAGBASE_VERSION } from '../version.js'
import { CONSTANT_CONTACT_ERROR_RESPONSES } from './constantcontact/responses.js'
import { API_VERSION } from './highlevel/auth.js'
import { HIGHLEVEL_ERROR_RESPONSES } from './highlevel/responses.js'

const OPERATOR_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json'])

function dialectOf(url: string): 'Constant Contact' | 'Operations' | 'HighLevel' {
  if (url === '/v3' || url.startsWith('/v3/')) return 'Constant Contact'
  if (OPERATOR_ROUTES.has(url)) return 'Operations'
  return 'HighLevel'
}

/**
 * One OpenAPI 3.1 document for both dialects, generated from the route schemas (TypeBox) as the
 * routes register: each route tagged with its dialect, the HighLevel routes with their `Version`
 * header, the hand-checked activity bodies with their documentation schema. Served at
 * `/openapi.json`, with an interactive reference at `/docs` (assets served locally, no CDN).
 * Must be registered before the routes it documents.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tagbase',
        version: TAGBASE_VERSION,
        description:
          'Contacts tagging in two dialects: HighLevel (sync bulk tags, contacts, location tags, webhooks) and Constant Contact v3 (/v3: contacts, tags, lists, tagging activities).',
      },
      tags: [
        {
          name: 'HighLevel',
          description: `HighLevel-compatible API; every request sends Version: ${API_VERSION}`,
        },
        { name: 'Constant Contact', description: 'Constant Contact v3-compatible API under /v3' },
        { name: 'Operations', description: 'Health, readiness, metrics; no token' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Access token (tagbase token create)' },
        },
      },
    },
    transform: ({ schema, url, route }) => {
      const tag = dialectOf(url)
      const documented: Record<string, unknown> = { ...(schema as Record<string, unknown>), tags: [tag] }
      if (tag !== 'Operations') documented.security = [{ bearer: [] }]
      if (tag === 'HighLevel')
        documented.headers = {
          type: 'object',
          properties: { Version: { type: 'string', enum: [API_VERSION] } },
          required: ['Version'],
        }
      const errors =
        tag === 'HighLevel'
          ? HIGHLEVEL_ERROR_RESPONSES
          : tag === 'Constant Contact'
            ? CONSTANT_CONTACT_ERROR_RESPONSES
            : {}
      const responses = { ...errors, ...route.config?.documentedResponses }
      if (Object.keys(responses).length > 0 && !documented.response) documented.response = responses
      return { schema: documented as FastifySchema, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', async () => app.swagger())
}
