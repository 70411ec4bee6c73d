import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema } from 'fastify'
import { TAGBASE_VERSION } from '../version.js'
import { CONSTANT_CONTACT_OPERATION_DOCS } from './constantcontact/operationDocs.js'
import { CONSTANT_CONTACT_ERROR_RESPONSES } from './constantcontact/responses.js'
import { DOCS_UI_THEME } from './docsTheme.js'
import { API_VERSION } from './highlevel/auth.js'
import { HIGHLEVEL_OPERATION_DOCS } from './highlevel/operationDocs.js'
import { HIGHLEVEL_ERROR_RESPONSES } from './highlevel/responses.js'
import type { OperationDoc, OperationDocs } from './operationDoc.js'

const OPERATOR_ROUTES = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json'])

const OPERATOR_DOCS: OperationDocs = {
  'GET /healthz': {
    operationId: 'operations.getHealth',
    summary: 'Liveness: the process answers',
    description: '200 `{status: "ok"}` while the process runs; no dependency is checked. No token.',
  },
  'GET /readyz': {
    operationId: 'operations.getReadiness',
    summary: 'Readiness: the database answers and its schema is current',
    description:
      '200 when the database answered within 1.5 s and no migration is pending; else 503 saying which (`database: unreachable` or `pendingMigrations`). Load balancers route on this. No token; keep it on a private network.',
  },
  'GET /metrics': {
    operationId: 'operations.getMetrics',
    summary: 'Prometheus metrics',
    description:
      'Prometheus text: request, activity, webhook and database-pool series, plus the process and Node.js defaults (`process_*`, `nodejs_*`). No token; keep it on a private network.',
  },
  'GET /openapi.json': {
    operationId: 'operations.getOpenApiDocument',
    summary: 'This OpenAPI document',
    description: 'The document /docs renders. No token.',
  },
}

const OPERATION_DOCS: OperationDocs = {
  ...HIGHLEVEL_OPERATION_DOCS,
  ...CONSTANT_CONTACT_OPERATION_DOCS,
  ...OPERATOR_DOCS,
}

/** The docs of a route as registered (`POST /contacts/:contactId/tags`); none is a mistake. */
function operationDocOf(method: string, url: string): OperationDoc {
  const doc = OPERATION_DOCS[`${method} ${url}`]
  if (!doc) throw new Error(`${method} ${url} has no operation docs (src/http/*/operationDocs.ts)`)
  return doc
}

/** The body schema with its examples, as OpenAPI 3.1 (JSON Schema) writes them. */
function withExamples(schema: unknown, examples: readonly unknown[] | undefined): unknown {
  if (!examples || typeof schema !== 'object' || schema === null) return schema
  return { ...schema, examples: [...examples] }
}

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
      if ((schema as { hide?: boolean } | undefined)?.hide) return { schema, url }
      const tag = dialectOf(url)
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method)
      const doc = operationDocOf(method, url)
      const documented: Record<string, unknown> = {
        ...(schema as Record<string, unknown>),
        tags: [tag],
        operationId: doc.operationId,
        summary: doc.summary,
        description: doc.description,
      }
      if (doc.requestExamples) documented.body = withExamples(documented.body, doc.requestExamples)
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
      const responses: Record<string, unknown> = { ...errors, ...route.config?.documentedResponses }
      for (const [status, example] of Object.entries(doc.responseExamples ?? {}))
        responses[status] = withExamples(responses[status], [example])
      if (Object.keys(responses).length > 0 && !documented.response) documented.response = responses
      return { schema: documented as FastifySchema, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs', ...DOCS_UI_THEME })
  app.get('/openapi.json', async () => app.swagger())
}
