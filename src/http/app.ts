import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Database } from '../store/database.js'
import './decorations.js'
import { highLevelApi } from './highlevel/index.js'
import { validatorCompiler } from './validation.js'

export type AppOptions = {
  database: Database
  logger?: FastifyServerOptions['logger']
}

/** Wires the store into Fastify and mounts each API dialect; no business logic lives here. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // HighLevel documents some paths with a trailing slash (POST /contacts/) and clients send both.
    routerOptions: { ignoreTrailingSlash: true },
    // A full bulk request (1000 ids, 100 tags of 255 chars) is well under 1 MiB.
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.decorate('database', options.database)
  await app.register(highLevelApi)
  return app
}
