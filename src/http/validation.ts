import type { ErrorObject } from 'ajv'
import { Ajv } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Bodies are validated strictly: a string is not silently turned into an array or a number,
 * so "contacts": "abc" is an error rather than ["abc"]. Query strings, params and headers are
 * text on the wire and are coerced to the declared types. Both report every problem at once
 * (allErrors) because the dialects list them all; `verbose` exposes the failing schema so
 * error formatters can read hints written next to a limit.
 */
const bodyAjv = new Ajv({
  allErrors: true,
  coerceTypes: false,
  useDefaults: true,
  strict: false,
  verbose: true,
})
const textAjv = new Ajv({
  allErrors: true,
  coerceTypes: true,
  useDefaults: true,
  strict: false,
  verbose: true,
})

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema)

/** Schema annotation: extra advice appended to a `maxItems` failure (e.g. where to send bigger batches). */
export const TOO_MANY_ITEMS_HINT = 'x-too-many-hint'

/** Schema annotation: what to say, after the field's name, when a value fails this schema. */
export const INVALID_VALUE_MESSAGE = 'x-invalid-message'

export type ValidationProblem = ErrorObject
