export const MAX_TAG_NAME_LENGTH = 255

export type TagNameProblem = 'empty' | 'too-long'

/** HighLevel stores tag names trimmed and lower-cased; two names differing only in case are one tag. */
export function normalizeTagName(raw: string): string {
  return raw.trim().toLowerCase()
}

export function tagNameProblem(normalized: string): TagNameProblem | undefined {
  if (normalized.length === 0) return 'empty'
  if (normalized.length > MAX_TAG_NAME_LENGTH) return 'too-long'
  return undefined
}

export type NormalizedTagList =
  | { ok: true; names: string[] }
  | { ok: false; problems: Array<{ index: number; problem: TagNameProblem }> }

/** Normalises a requested tag list, keeping first-seen order and dropping repeats. */
export function normalizeTagList(raw: readonly string[]): NormalizedTagList {
  const names: string[] = []
  const seen = new Set<string>()
  const problems: Array<{ index: number; problem: TagNameProblem }> = []
  raw.forEach((value, index) => {
    const name = normalizeTagName(value)
    const problem = tagNameProblem(name)
    if (problem) {
      problems.push({ index, problem })
      return
    }
    if (!seen.has(name)) {
      seen.add(name)
      names.push(name)
    }
  })
  return problems.length > 0 ? { ok: false, problems } : { ok: true, names }
}

/** Tags of a contact are always shown in one deterministic order: by name. */
export function sortTagNames(names: Iterable<string>): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The tag names one change added and removed (one event of the event log). */
export type TagChange = { tagsAdded: readonly string[]; tagsRemoved: readonly string[] }
