/**
 * Which contacts a Constant Contact tagging activity covers. Parsed from the request's `source`
 * and `exclude`, accepting the variants the vendor's own examples send: booleans as the strings
 * "true"/"false", and `exclude` as an id array inside `source`.
 */
export type ContactSelector =
  | { kind: 'contact_ids'; contactIds: string[] }
  | { kind: 'list_ids'; listIds: string[]; excludeContactIds: string[] }
  | { kind: 'tag_ids'; tagIds: string[] }
  | { kind: 'all_active_contacts'; excludeContactIds: string[] }
  | { kind: 'new_subscriber' }

export const SELECTOR_LIMITS = Object.freeze({
  contactIds: 500,
  listIds: 50,
  sourceTagIds: 500,
  excludeContactIds: 500,
  tagIds: 500,
})

const SOURCE_KINDS = ['contact_ids', 'list_ids', 'tag_ids', 'all_active_contacts', 'new_subscriber'] as const

export type SelectorProblem = { field: string; message: string }

export type ParsedTaggingRequest =
  | { ok: true; selector: ContactSelector; tagIds: string[] }
  | { ok: false; problems: SelectorProblem[] }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** true, false, or undefined when the value is not a boolean in either spelling. */
function looseBoolean(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  return undefined
}

function idList(
  value: unknown,
  field: string,
  max: number,
  problems: SelectorProblem[],
): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push({ field, message: `${field} must be an array of ids` })
    return undefined
  }
  if (value.length === 0) {
    problems.push({ field, message: `${field} must contain at least one id` })
    return undefined
  }
  if (value.length > max) {
    problems.push({ field, message: `${field} must contain at most ${max} ids` })
    return undefined
  }
  if (!value.every((v) => typeof v === 'string' && v.trim().length > 0)) {
    problems.push({ field, message: `${field} must contain only non-empty strings` })
    return undefined
  }
  return [...new Set(value as string[])]
}

function requiredIdList(
  value: unknown,
  field: string,
  max: number,
  problems: SelectorProblem[],
): string[] | undefined {
  if (value !== undefined) return idList(value, field, max, problems)
  problems.push({ field, message: `${field} is required` })
  return undefined
}

function parseExclude(
  body: Record<string, unknown>,
  source: Record<string, unknown>,
  problems: SelectorProblem[],
) {
  const topLevel = body.exclude
  const inSource = source.exclude
  if (topLevel !== undefined && inSource !== undefined) {
    problems.push({
      field: 'exclude',
      message: 'give exclude either at the top level or inside source, not both',
    })
    return undefined
  }
  if (topLevel === undefined && inSource === undefined) return undefined
  const raw = topLevel ?? inSource
  const field = topLevel !== undefined ? 'exclude.contact_ids' : 'source.exclude'
  if (Array.isArray(raw)) return idList(raw, field, SELECTOR_LIMITS.excludeContactIds, problems)
  if (isRecord(raw)) {
    const unknown = Object.keys(raw).filter((k) => k !== 'contact_ids')
    if (unknown.length > 0)
      problems.push({
        field: 'exclude',
        message: `exclude accepts only contact_ids, not ${unknown.join(', ')}`,
      })
    return idList(
      raw.contact_ids,
      `${field === 'source.exclude' ? 'source.exclude' : 'exclude'}.contact_ids`,
      SELECTOR_LIMITS.excludeContactIds,
      problems,
    )
  }
  problems.push({ field: 'exclude', message: 'exclude must be an object with contact_ids' })
  return undefined
}

/** Validates a contacts_taggings_add/remove body; every problem names the field it is about. */
export function parseTaggingRequest(body: unknown): ParsedTaggingRequest {
  const problems: SelectorProblem[] = []
  if (!isRecord(body))
    return { ok: false, problems: [{ field: 'body', message: 'the body must be a JSON object' }] }
  const unknownTop = Object.keys(body).filter((k) => !['source', 'exclude', 'tag_ids'].includes(k))
  if (unknownTop.length > 0)
    problems.push({ field: unknownTop[0] as string, message: `unknown field ${unknownTop.join(', ')}` })

  const tagIds = requiredIdList(body.tag_ids, 'tag_ids', SELECTOR_LIMITS.tagIds, problems)

  const source = body.source
  if (!isRecord(source)) {
    problems.push({ field: 'source', message: 'source is required and must be an object' })
    return { ok: false, problems }
  }
  const unknownSource = Object.keys(source).filter(
    (k) => !(SOURCE_KINDS as readonly string[]).includes(k) && k !== 'exclude',
  )
  if (unknownSource.length > 0)
    problems.push({
      field: `source.${unknownSource[0]}`,
      message: `unknown source ${unknownSource.join(', ')}`,
    })

  for (const flag of ['all_active_contacts', 'new_subscriber'] as const) {
    if (source[flag] !== undefined && looseBoolean(source[flag]) === undefined)
      problems.push({ field: `source.${flag}`, message: `source.${flag} must be true or false` })
  }
  const chosen = SOURCE_KINDS.filter((kind) =>
    kind === 'all_active_contacts' || kind === 'new_subscriber'
      ? looseBoolean(source[kind]) === true
      : source[kind] !== undefined,
  )
  if (chosen.length !== 1) {
    problems.push({
      field: 'source',
      message: `source must have exactly one of ${SOURCE_KINDS.join(', ')}${chosen.length > 1 ? ` (got ${chosen.join(', ')})` : ''}`,
    })
  }
  const exclude = parseExclude(body, source, problems)
  const kind = chosen.length === 1 ? chosen[0] : undefined
  if (exclude && kind && kind !== 'all_active_contacts' && kind !== 'list_ids')
    problems.push({
      field: 'exclude',
      message: 'exclude can only be used with all_active_contacts or list_ids',
    })

  let selector: ContactSelector | undefined
  switch (kind) {
    case 'contact_ids': {
      const ids = idList(source.contact_ids, 'source.contact_ids', SELECTOR_LIMITS.contactIds, problems)
      if (ids) selector = { kind, contactIds: ids }
      break
    }
    case 'list_ids': {
      const ids = idList(source.list_ids, 'source.list_ids', SELECTOR_LIMITS.listIds, problems)
      if (ids) selector = { kind, listIds: ids, excludeContactIds: exclude ?? [] }
      break
    }
    case 'tag_ids': {
      const ids = idList(source.tag_ids, 'source.tag_ids', SELECTOR_LIMITS.sourceTagIds, problems)
      if (ids) selector = { kind, tagIds: ids }
      break
    }
    case 'all_active_contacts':
      selector = { kind, excludeContactIds: exclude ?? [] }
      break
    case 'new_subscriber':
      selector = { kind }
      break
  }
  if (problems.length > 0 || !selector || !tagIds) return { ok: false, problems }
  return { ok: true, selector, tagIds }
}

/** Validates a contacts_tags_delete body: `{tag_ids}` with up to 500 ids. */
export function parseTagDeleteRequest(
  body: unknown,
): { ok: true; tagIds: string[] } | { ok: false; problems: SelectorProblem[] } {
  const problems: SelectorProblem[] = []
  if (!isRecord(body))
    return { ok: false, problems: [{ field: 'body', message: 'the body must be a JSON object' }] }
  const unknown = Object.keys(body).filter((k) => k !== 'tag_ids')
  if (unknown.length > 0)
    problems.push({ field: unknown[0] as string, message: `unknown field ${unknown.join(', ')}` })
  const tagIds = requiredIdList(body.tag_ids, 'tag_ids', SELECTOR_LIMITS.tagIds, problems)
  if (problems.length > 0 || !tagIds) return { ok: false, problems }
  return { ok: true, tagIds }
}
