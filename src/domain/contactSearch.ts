import { parseIsoInstant } from './instants.js'
import { normalizeTagName } from './tags.js'

/**
 * HighLevel's contact search (`POST /contacts/search`) as rules: which fields and operators are
 * supported, what each means, and the limits. The wire body is read here into a tree the store
 * turns into SQL; anything outside it is refused with every problem named, never ignored.
 */

export const SEARCH_TEXT_FIELDS = {
  email: 'email',
  phone: 'phone',
  firstNameLowerCase: 'first name',
  lastNameLowerCase: 'last name',
  companyName: 'company name',
} as const
export type SearchTextField = keyof typeof SEARCH_TEXT_FIELDS
export const SEARCH_DATE_FIELDS = ['dateAdded', 'dateUpdated'] as const
export type SearchDateField = (typeof SEARCH_DATE_FIELDS)[number]

export type SearchCondition =
  /** `eq`/`contains`: carries any of the tags; `not_eq`/`not_contains`: none of them. */
  | { kind: 'tags'; carries: boolean; names: string[] }
  /** exists: carries some tag; not_exists: none at all. */
  | { kind: 'any-tag'; exists: boolean }
  | {
      kind: 'text'
      field: SearchTextField
      match: 'eq' | 'not_eq' | 'contains' | 'not_contains'
      value: string
    }
  | { kind: 'text-exists'; field: SearchTextField; exists: boolean }
  | { kind: 'date'; field: SearchDateField; gte?: string; gt?: string; lte?: string; lt?: string }
  | { kind: 'dnd'; value: boolean }

export type SearchFilter = SearchCondition | { kind: 'group'; any: boolean; filters: SearchFilter[] }

export type SearchSort = { field: SearchDateField; descending: boolean }

export const SEARCH_LIMITS = Object.freeze({
  maxPageLimit: 500,
  /** page × pageLimit: past this, page with searchAfter (HighLevel's own limit). */
  maxOffsetResults: 10_000,
  maxFilters: 50,
  maxDepth: 2,
  maxValueLength: 75,
  maxTagValues: 100,
})

const OPERATORS = ['eq', 'not_eq', 'contains', 'not_contains', 'exists', 'not_exists', 'range'] as const

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] }

/** The `filters` array of a search body as a tree (AND at the top, as HighLevel combines them). */
export function parseSearchFilters(raw: unknown): Parsed<SearchFilter[]> {
  const problems: string[] = []
  let count = 0
  const walk = (items: unknown, path: string, depth: number): SearchFilter[] => {
    if (!Array.isArray(items)) {
      problems.push(`${path} must be an array`)
      return []
    }
    const out: SearchFilter[] = []
    items.forEach((item, i) => {
      const at = `${path}[${i}]`
      count++
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        problems.push(`${at} must be an object`)
        return
      }
      const entry = item as Record<string, unknown>
      if ('group' in entry) {
        if (entry.group !== 'AND' && entry.group !== 'OR') problems.push(`${at}.group must be AND or OR`)
        else if (depth >= SEARCH_LIMITS.maxDepth)
          problems.push(`${at}: groups nest at most ${SEARCH_LIMITS.maxDepth} deep`)
        else
          out.push({
            kind: 'group',
            any: entry.group === 'OR',
            filters: walk(entry.filters, `${at}.filters`, depth + 1),
          })
        return
      }
      const condition = parseCondition(entry, at, problems)
      if (condition) out.push(condition)
    })
    return out
  }
  const filters = raw === undefined ? [] : walk(raw, 'filters', 0)
  if (count > SEARCH_LIMITS.maxFilters)
    problems.push(`filters may hold at most ${SEARCH_LIMITS.maxFilters} entries`)
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: filters }
}

function parseCondition(
  entry: Record<string, unknown>,
  at: string,
  problems: string[],
): SearchCondition | undefined {
  const { field, operator, value } = entry
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    problems.push(`${at}.operator must be one of ${OPERATORS.join(', ')}`)
    return undefined
  }
  const presence = operator === 'exists' || operator === 'not_exists'
  if (field === 'tags') {
    if (presence) return { kind: 'any-tag', exists: operator === 'exists' }
    if (operator === 'range')
      return refuse(problems, `${at}: tags take eq, not_eq, contains, not_contains, exists, not_exists`)
    const names = (Array.isArray(value) ? value : [value])
      .filter((v) => typeof v === 'string')
      .map(normalizeTagName)
    if (
      names.length === 0 ||
      names.some((n) => n.length === 0) ||
      (Array.isArray(value) && names.length !== value.length)
    )
      return refuse(problems, `${at}.value must be a tag name or an array of tag names`)
    if (names.length > SEARCH_LIMITS.maxTagValues)
      return refuse(problems, `${at}.value may name at most ${SEARCH_LIMITS.maxTagValues} tags`)
    return { kind: 'tags', carries: operator === 'eq' || operator === 'contains', names }
  }
  if (typeof field === 'string' && field in SEARCH_TEXT_FIELDS) {
    const textField = field as SearchTextField
    if (presence) return { kind: 'text-exists', field: textField, exists: operator === 'exists' }
    if (operator === 'range') return refuse(problems, `${at}: ${field} takes no range`)
    if (typeof value !== 'string' || value.length === 0 || value.length > SEARCH_LIMITS.maxValueLength)
      return refuse(
        problems,
        `${at}.value must be a string of 1 to ${SEARCH_LIMITS.maxValueLength} characters`,
      )
    return {
      kind: 'text',
      field: textField,
      match: operator as 'eq' | 'not_eq' | 'contains' | 'not_contains',
      value,
    }
  }
  if (typeof field === 'string' && (SEARCH_DATE_FIELDS as readonly string[]).includes(field)) {
    if (operator !== 'range') return refuse(problems, `${at}: ${field} takes the range operator`)
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return refuse(problems, `${at}.value must be an object of gte, gt, lte, lt`)
    const bounds: Record<string, string> = {}
    for (const [key, bound] of Object.entries(value)) {
      const instant = typeof bound === 'string' ? parseIsoInstant(bound) : null
      if (!['gte', 'gt', 'lte', 'lt'].includes(key))
        problems.push(`${at}.value.${key} is not gte, gt, lte or lt`)
      else if (instant === null) problems.push(`${at}.value.${key} must be an ISO-8601 date or date-time`)
      else bounds[key] = instant
    }
    if (Object.keys(bounds).length === 0) return refuse(problems, `${at}.value must give gte, gt, lte or lt`)
    return { kind: 'date', field: field as SearchDateField, ...bounds }
  }
  if (field === 'dnd') {
    if (operator !== 'eq' && operator !== 'not_eq') return refuse(problems, `${at}: dnd takes eq or not_eq`)
    if (typeof value !== 'boolean') return refuse(problems, `${at}.value must be true or false`)
    return { kind: 'dnd', value: operator === 'eq' ? value : !value }
  }
  const supported = ['tags', ...Object.keys(SEARCH_TEXT_FIELDS), ...SEARCH_DATE_FIELDS, 'dnd']
  return refuse(problems, `${at}.field must be one of ${supported.join(', ')}`)
}

function refuse(problems: string[], message: string): undefined {
  problems.push(message)
  return undefined
}

/** `sort`: at most one entry, on dateAdded or dateUpdated; default dateAdded ascending. */
export function parseSearchSort(raw: unknown): Parsed<SearchSort> {
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0))
    return { ok: true, value: { field: 'dateAdded', descending: false } }
  const [first] = Array.isArray(raw) ? raw : []
  const entry = (first ?? {}) as Record<string, unknown>
  if (!Array.isArray(raw) || raw.length > 1)
    return { ok: false, problems: ['sort must be an array of at most one {field, direction}'] }
  if (!(SEARCH_DATE_FIELDS as readonly string[]).includes(entry.field as string))
    return { ok: false, problems: [`sort[0].field must be ${SEARCH_DATE_FIELDS.join(' or ')}`] }
  if (entry.direction !== undefined && entry.direction !== 'asc' && entry.direction !== 'desc')
    return { ok: false, problems: ['sort[0].direction must be asc or desc'] }
  return {
    ok: true,
    value: { field: entry.field as SearchDateField, descending: entry.direction === 'desc' },
  }
}
