import type { ContactSelector } from '../../domain/selectors.js'
import type { ListMembershipActivityBody, TaggingActivityBody } from './schemas.js'

/**
 * The rules of an activity body (tagging, list memberships) that its schema cannot say: exactly one source, and where an
 * exclusion may stand. Shapes and limits were checked by the schema before this runs.
 */
const SOURCE_KINDS = ['contact_ids', 'list_ids', 'tag_ids', 'all_active_contacts', 'new_subscriber'] as const

export type BodyProblem = { field: string; message: string }

export type TaggingChoice =
  | { ok: true; selector: ContactSelector; tagIds: string[] }
  | { ok: false; problems: BodyProblem[] }

type SourceChoice = { ok: true; selector: ContactSelector } | { ok: false; problems: BodyProblem[] }

type BodyWithSource = Pick<TaggingActivityBody, 'source' | 'exclude'>

const isTrue = (flag: boolean | 'true' | 'false' | undefined) => flag === true || flag === 'true'

/** An id named twice is applied once. */
export const distinctIds = (ids: readonly string[]) => [...new Set(ids)]

function exclusionOf(body: BodyWithSource): { ids?: string[]; problem?: BodyProblem } {
  const inSource = body.source.exclude
  if (body.exclude !== undefined && inSource !== undefined)
    return {
      problem: {
        field: 'exclude',
        message: 'give exclude either at the top level or inside source, not both',
      },
    }
  const given = body.exclude ?? inSource
  if (given === undefined) return {}
  return { ids: distinctIds(Array.isArray(given) ? given : given.contact_ids) }
}

export function selectorOfTaggingBody(body: TaggingActivityBody): TaggingChoice {
  const chosen = selectorOfSource(body)
  return chosen.ok ? { ...chosen, tagIds: distinctIds(body.tag_ids) } : chosen
}

/** The contacts and lists of a list-membership body (the same sources as a tagging body). */
export function selectorOfListMembershipBody(
  body: ListMembershipActivityBody,
): { ok: true; selector: ContactSelector; listIds: string[] } | { ok: false; problems: BodyProblem[] } {
  const chosen = selectorOfSource(body)
  return chosen.ok ? { ...chosen, listIds: distinctIds(body.list_ids) } : chosen
}

function selectorOfSource(body: BodyWithSource): SourceChoice {
  const { source } = body
  const chosen = SOURCE_KINDS.filter((kind) =>
    kind === 'all_active_contacts' || kind === 'new_subscriber'
      ? isTrue(source[kind])
      : source[kind] !== undefined,
  )
  const kind = chosen[0]
  if (kind === undefined || chosen.length > 1)
    return {
      ok: false,
      problems: [
        {
          field: 'source',
          message: `source must have exactly one of ${SOURCE_KINDS.join(', ')}${chosen.length > 1 ? ` (got ${chosen.join(', ')})` : ''}`,
        },
      ],
    }
  const exclusion = exclusionOf(body)
  if (exclusion.problem) return { ok: false, problems: [exclusion.problem] }
  const exclude = exclusion.ids ?? []
  if (exclusion.ids && kind !== 'all_active_contacts' && kind !== 'list_ids')
    return {
      ok: false,
      problems: [
        { field: 'exclude', message: 'exclude can only be used with all_active_contacts or list_ids' },
      ],
    }
  switch (kind) {
    case 'contact_ids':
      return { ok: true, selector: { kind, contactIds: distinctIds(source.contact_ids ?? []) } }
    case 'list_ids':
      return {
        ok: true,
        selector: { kind, listIds: distinctIds(source.list_ids ?? []), excludeContactIds: exclude },
      }
    case 'tag_ids':
      return { ok: true, selector: { kind, tagIds: distinctIds(source.tag_ids ?? []) } }
    case 'all_active_contacts':
      return { ok: true, selector: { kind, excludeContactIds: exclude } }
    case 'new_subscriber':
      return { ok: true, selector: { kind } }
  }
}
