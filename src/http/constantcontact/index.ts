import type { FastifyPluginAsync } from 'fastify'
import { registerIdempotencyKeys } from '../idempotency.js'
import {
  describeInputProblem,
  refuseUndeclaredQueryParameters,
  registerInputBoundary,
} from '../inputBoundary.js'
import { registerRateLimits } from '../rateLimit.js'
import { registerConstantContactAuth, registerConstantContactScopeCheck } from './auth.js'
import {
  badRequest,
  ConstantContactHttpError,
  conflict,
  constantContactErrorHandler,
  notFound,
  sendConstantContactError,
  tooManyRequests,
} from './errors.js'
import { registerConstantContactIds } from './ids.js'
import { activityRoutes } from './routes/activities.js'
import { contactListRoutes } from './routes/contactLists.js'
import { contactRoutes } from './routes/contacts.js'
import { contactTagRoutes } from './routes/contactTags.js'

/** The Constant Contact v3 dialect, mounted under /v3: its auth, its error array, its routes. */
export const constantContactApi: FastifyPluginAsync = async (app) => {
  app.setErrorHandler(constantContactErrorHandler)
  // Constant Contact takes JSON only and answers anything else with 415.
  app.removeContentTypeParser('text/plain')
  app.setNotFoundHandler((request, reply) =>
    sendConstantContactError(reply, notFound(`${request.method} ${request.url.split('?')[0]}`)),
  )
  refuseUndeclaredQueryParameters(app)
  registerConstantContactAuth(app)
  registerRateLimits(app, tooManyRequests)
  registerConstantContactScopeCheck(app)
  registerInputBoundary(app, (problem) => badRequest([{ message: describeInputProblem(problem) }]))
  registerConstantContactIds(app)
  app.decorateRequest('idempotencyKey', null)
  registerIdempotencyKeys(app, {
    mismatch: () =>
      new ConstantContactHttpError(422, [
        {
          error_key: 'http.status.unprocessable_entity',
          error_message: 'Idempotency-Key was already used with a different request.',
        },
      ]),
    busy: () => conflict('A request with this Idempotency-Key is still being processed.'),
  })
  await app.register(contactRoutes)
  await app.register(contactTagRoutes)
  await app.register(contactListRoutes)
  await app.register(activityRoutes)
}
