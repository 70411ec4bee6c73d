/**
 * Scopes a token can carry: HighLevel's OAuth scope names (shared/reference/highlevel/oauth-scopes.md)
 * for that dialect, and Constant Contact's single `contact_data` for the /v3 dialect.
 */
export const SCOPES = Object.freeze([
  'contacts.readonly',
  'contacts.write',
  'locations/tags.readonly',
  'locations/tags.write',
  'contact_data',
] as const)

export type Scope = (typeof SCOPES)[number]

export const DEFAULT_TOKEN_SCOPES: readonly Scope[] = SCOPES

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value)
}

export function parseScopeList(raw: string): { scopes: Scope[]; unknown: string[] } {
  const parts = raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const scopes: Scope[] = []
  const unknown: string[] = []
  for (const part of parts) {
    if (isScope(part)) {
      if (!scopes.includes(part)) scopes.push(part)
    } else unknown.push(part)
  }
  return { scopes, unknown }
}
