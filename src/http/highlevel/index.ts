import type { FastifyPluginAsync } from 'fastify'
import { registerIdempotencyKeys } from '../idempotency.js'
import {
  describeInputProblem,
  refuseUndeclaredQueryParameters,
  registerInputBoundary,
} from '../inputBoundary.js'
import { registerRateLimits } from '../rateLimit.js'
import { registerHighLevelAccessChecks, registerHighLevelAuth } from './auth.js'
import {
  HighLevelHttpError,
  highLevelErrorHandler,
  sendHighLevelError,
  tooManyRequests,
  unprocessable,
} from './errors.js'
import { bulkTagRoutes } from './routes/bulkTags.js'
import { contactSearchRoutes } from './routes/contactSearch.js'
import { contactRoutes } from './routes/contacts.js'
import { contactTagRoutes } from './routes/contactTags.js'
import { locationTagRoutes } from './routes/locationTags.js'
import { webhookRoutes } from './routes/webhooks.js'

/** The HighLevel dialect: its auth, its error body, its routes. Everything here is encapsulated. */
export const highLevelApi: FastifyPluginAsync = async (app) => {
  app.setErrorHandler(highLevelErrorHandler)
  app.setNotFoundHandler((request, reply) =>
    sendHighLevelError(
      reply,
      new HighLevelHttpError(404, `Cannot ${request.method} ${request.url.split('?')[0]}`),
    ),
  )
  refuseUndeclaredQueryParameters(app)
  registerHighLevelAuth(app)
  registerRateLimits(app, tooManyRequests)
  registerHighLevelAccessChecks(app)
  registerInputBoundary(app, (problem) => unprocessable([describeInputProblem(problem)]))
  app.decorateRequest('idempotencyKey', null)
  registerIdempotencyKeys(app, {
    mismatch: () => unprocessable(['Idempotency-Key was already used with a different request']),
    busy: () => new HighLevelHttpError(409, 'A request with this Idempotency-Key is still being processed'),
  })
  await app.register(contactSearchRoutes)
  await app.register(contactRoutes)
  await app.register(contactTagRoutes)
  await app.register(bulkTagRoutes)
  await app.register(locationTagRoutes)
  await app.register(webhookRoutes)
}
