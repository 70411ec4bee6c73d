import { randomBytes } from 'node:crypto'
import { hashAccessToken, newFirebaseId } from '../domain/ids.js'
import type { Database } from '../store/database.js'
import {
  countActiveOperatorCredentials,
  insertOperatorCredential,
  isActiveOperatorCredential,
  revokeOperatorCredentialsExcept,
} from '../store/operatorCredentials.js'

/** Prefix of operator secrets, so one pasted in the wrong place is recognisable. */
const OPERATOR_SECRET_PREFIX = 'tbo-'

/**
 * Issues a new operator credential and revokes the others (a rotation: whoever had the old link
 * must use the new one). The secret is returned once; only its hash is stored.
 */
export async function issueOperatorCredential(database: Database): Promise<string> {
  const secret = `${OPERATOR_SECRET_PREFIX}${randomBytes(24).toString('base64url')}`
  const id = newFirebaseId()
  const now = new Date().toISOString()
  await database.transaction(async (tx) => {
    await insertOperatorCredential(tx, { id, secretHash: hashAccessToken(secret), now })
    await revokeOperatorCredentialsExcept(tx, id, now)
  })
  return secret
}

/**
 * At start-up: when no operator credential exists yet, issues the first one and returns its secret
 * (to be shown once, like Jupyter's login link); undefined when one exists already.
 */
export async function ensureOperatorCredential(database: Database): Promise<string | undefined> {
  if ((await countActiveOperatorCredentials(database)) > 0) return undefined
  return issueOperatorCredential(database)
}

export async function isOperatorSecret(database: Database, secret: string): Promise<boolean> {
  if (!secret.startsWith(OPERATOR_SECRET_PREFIX) || secret.length > 200) return false
  return isActiveOperatorCredential(database, hashAccessToken(secret))
}
