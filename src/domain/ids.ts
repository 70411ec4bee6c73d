import { createHash, randomBytes, randomUUID } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const FIREBASE_ID_LENGTH = 20
const FIREBASE_ID_PATTERN = /^[0-9A-Za-z]{20}$/

/**
 * A 20-character base62 id, the format HighLevel calls a "firebase id".
 * 20 × log2(62) ≈ 119 random bits, so ids are globally unique without coordination.
 */
export function newFirebaseId(): string {
  let id = ''
  while (id.length < FIREBASE_ID_LENGTH) {
    // 62 * 4 = 248: rejecting bytes ≥ 248 keeps every character equally likely.
    for (const byte of randomBytes(32)) {
      if (byte < 248 && id.length < FIREBASE_ID_LENGTH) id += BASE62[byte % 62]
    }
  }
  return id
}

export function isFirebaseId(value: string): boolean {
  return FIREBASE_ID_PATTERN.test(value)
}

/** Private-integration style token: shown once, stored only as its hash. */
export function newAccessTokenSecret(): string {
  return `pit-${randomUUID()}`
}

export function hashAccessToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}
