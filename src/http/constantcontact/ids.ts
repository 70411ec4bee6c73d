import type { FastifyInstance, FastifyRequest } from 'fastify'
import { firebaseIdToUuid, uuidToFirebaseId } from '../../domain/ids.js'
import { notFound } from './errors.js'

/**
 * Constant Contact's contact and tag ids are UUIDs; Tagbase's rows have 20-character ids (the
 * HighLevel dialect's). This dialect speaks UUIDs only: each id is translated at this boundary
 * (domain/ids.ts: one to one, nothing stored), requests after validation and answers before
 * serialisation, so routes, services and the store see one id per row. List and activity ids are
 * UUIDs of their own and pass through.
 *
 * Any other id (a HighLevel-form id, a UUID that names no Tagbase id) matches nothing: in a path it
 * is 404; in a body it is an unknown id (tags and lists: 400; contacts: skipped and reported), and
 * it is echoed back as given. A 20-character id is marked on its way in (NOT_OURS) so it cannot
 * reach the row it would name in the other dialect.
 */
export function registerConstantContactIds(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => translateRequestIds(request))
  app.addHook('preSerialization', async (_request, _reply, payload) => toUuids(payload))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Prefix of an id given in a form this dialect does not use: no stored id starts with it. */
const NOT_OURS = '~'
const TAGBASE_ID = /^[0-9A-Za-z]{20}$/

function fromUuid(value: unknown): unknown {
  if (typeof value !== 'string') return value
  if (UUID.test(value)) return uuidToFirebaseId(value) ?? value.toLowerCase()
  return TAGBASE_ID.test(value) ? NOT_OURS + value : value
}

function idsFromUuids(values: unknown): unknown {
  return Array.isArray(values) ? values.map(fromUuid) : values
}

function translateRequestIds(request: FastifyRequest): void {
  const params = request.params as Record<string, unknown> | undefined
  for (const key of ['contact_id', 'tag_id'] as const) {
    const value = params?.[key]
    if (typeof value !== 'string') continue
    // A path that names no resource in this dialect's form: nothing is there.
    if (!UUID.test(value)) throw notFound(`${key === 'contact_id' ? 'Contact' : 'Tag'} not found`)
    ;(params as Record<string, unknown>)[key] = fromUuid(value)
  }
  const query = request.query as Record<string, unknown> | undefined
  if (query && typeof query.tags === 'string' && query.tags !== '')
    query.tags = query.tags
      .split(',')
      .map((t) => fromUuid(t.trim()))
      .join(',')
  const body = request.body as Record<string, unknown> | undefined
  if (!body || typeof body !== 'object' || Array.isArray(body)) return
  if ('tag_ids' in body) body.tag_ids = idsFromUuids(body.tag_ids)
  if ('taggings' in body) body.taggings = idsFromUuids(body.taggings)
  translateExclusion(body)
  const source = body.source as Record<string, unknown> | undefined
  if (source && typeof source === 'object') {
    if ('contact_ids' in source) source.contact_ids = idsFromUuids(source.contact_ids)
    if ('tag_ids' in source) source.tag_ids = idsFromUuids(source.tag_ids)
    translateExclusion(source)
  }
}

/** `exclude` as an id array or as {contact_ids}. */
function translateExclusion(holder: Record<string, unknown>): void {
  const exclude = holder.exclude
  if (Array.isArray(exclude)) holder.exclude = idsFromUuids(exclude)
  else if (exclude && typeof exclude === 'object' && 'contact_ids' in exclude) {
    const inner = exclude as Record<string, unknown>
    inner.contact_ids = idsFromUuids(inner.contact_ids)
  }
}

/**
 * A Tagbase id inside a message (activity errors, error messages): 20 base62 characters, not all
 * lower-case letters (an English word), or an id given in another form (NOT_OURS), echoed as given.
 */
const ID_IN_TEXT = /(~?)\b([0-9A-Za-z]{20})\b/g

function textWithUuids(text: string): string {
  return text.replace(ID_IN_TEXT, (whole, notOurs: string, id: string) => {
    if (notOurs) return id
    return /[0-9A-Z]/.test(id) ? firebaseIdToUuid(id) : whole
  })
}

function asUuid(value: unknown): unknown {
  if (typeof value !== 'string') return value
  if (value.startsWith(NOT_OURS)) return value.slice(NOT_OURS.length)
  return TAGBASE_ID.test(value) ? firebaseIdToUuid(value) : value
}

/** The answer with every contact and tag id as a UUID (walks the JSON the routes built). */
function toUuids(payload: unknown): unknown {
  if (Array.isArray(payload)) return payload.map(toUuids)
  if (payload === null || typeof payload !== 'object') return payload
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(payload)) {
    if (key === 'contact_id' || key === 'tag_id') out[key] = asUuid(value)
    else if ((key === 'taggings' || key === 'contact_ids' || key === 'tag_ids') && Array.isArray(value))
      out[key] = value.map(asUuid)
    else if ((key === 'activity_errors' || key === 'errors') && Array.isArray(value))
      out[key] = value.map((v) => (typeof v === 'string' ? textWithUuids(v) : toUuids(v)))
    else if (key === 'error_message' && typeof value === 'string') out[key] = textWithUuids(value)
    else out[key] = toUuids(value)
  }
  return out
}
