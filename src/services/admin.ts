import { hashAccessToken, newAccessTokenSecret, newFirebaseId, type Scope } from '../domain/index.js'
import { isPhoneCountry } from '../domain/phones.js'
import type { Database } from '../store/database.js'
import { findLocation, insertLocation, type LocationRow, listLocations } from '../store/locations.js'
import {
  findActiveTokenByHash,
  insertAccessToken,
  listAccessTokens,
  revokeAccessToken as revokeAccessTokenRow,
} from '../store/tokens.js'

/** `phoneCountry`: ISO code national phone numbers are read in (default US; domain/phones.ts). */
export async function createLocation(
  database: Database,
  name: string,
  options: { phoneCountry?: string } = {},
): Promise<LocationRow> {
  const phoneCountry = options.phoneCountry?.toUpperCase() ?? null
  if (phoneCountry !== null && !isPhoneCountry(phoneCountry))
    throw new Error(
      `phone country must be an ISO 3166-1 alpha-2 code such as US, GB or DE (got ${phoneCountry})`,
    )
  const location = {
    id: newFirebaseId(),
    name,
    created_at: new Date().toISOString(),
    phone_country: phoneCountry,
  }
  await insertLocation(database, location)
  return location
}

export type IssuedToken = { token: string; id: string; locationId: string; scopes: Scope[]; name: string }

/** Issues a token; the secret is returned once and only its SHA-256 hash is stored. */
export async function createAccessToken(
  database: Database,
  locationId: string,
  scopes: readonly Scope[],
  name = 'cli',
): Promise<IssuedToken> {
  if (!(await findLocation(database, locationId))) throw new Error(`location ${locationId} does not exist`)
  const token = newAccessTokenSecret()
  const id = newFirebaseId()
  await insertAccessToken(database, {
    location_id: locationId,
    id,
    token_hash: hashAccessToken(token),
    scopes: scopes.join(' '),
    name,
    created_at: new Date().toISOString(),
    revoked_at: null,
  })
  return { token, id, locationId, scopes: [...scopes], name }
}

export type Principal = { tokenId: string; locationId: string; scopes: ReadonlySet<string> }

export async function authenticate(database: Database, secret: string): Promise<Principal | undefined> {
  const row = await findActiveTokenByHash(database, hashAccessToken(secret))
  if (!row) return undefined
  return { tokenId: row.id, locationId: row.location_id, scopes: new Set(row.scopes.split(' ')) }
}

export async function listAllLocations(database: Database): Promise<LocationRow[]> {
  return listLocations(database)
}

export type TokenView = {
  id: string
  name: string
  scopes: string[]
  createdAt: string
  revokedAt: string | null
}

/** A location's tokens as operators see them: never the secret, never its hash. */
export async function listTokens(database: Database, locationId: string): Promise<TokenView[]> {
  if (!(await findLocation(database, locationId))) throw new Error(`location ${locationId} does not exist`)
  return (await listAccessTokens(database, locationId)).map((t) => ({
    id: t.id,
    name: t.name,
    scopes: t.scopes.split(' '),
    createdAt: t.created_at,
    revokedAt: t.revoked_at,
  }))
}

/** Revokes a token at once: its next request is refused (401) in both dialects. */
export async function revokeToken(database: Database, locationId: string, tokenId: string): Promise<void> {
  if (!(await revokeAccessTokenRow(database, locationId, tokenId, new Date().toISOString())))
    throw new Error(`no active token ${tokenId} in location ${locationId}`)
}
