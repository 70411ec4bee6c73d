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

const BASE62_DIGIT = new Map([...BASE62].map((c, i) => [c, BigInt(i)]))
const FIREBASE_ID_SPACE = 62n ** BigInt(FIREBASE_ID_LENGTH)
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The UUID that names a 20-character id in Constant Contact's dialect, whose ids are UUIDs: the id
 * read as a base62 number (< 62^20 < 2^120) laid into the 122 free bits of a version-8 UUID
 * (RFC 9562, "custom"), so the two forms map one to one with nothing stored, and sort alike (base62
 * digits are in ASCII order, hex digits too).
 */
export function firebaseIdToUuid(id: string): string {
  let n = 0n
  for (const c of id) n = n * 62n + (BASE62_DIGIT.get(c) as bigint)
  const high = n >> 74n // 48 bits
  const middle = (n >> 62n) & 0xfffn // 12 bits
  const low = n & ((1n << 62n) - 1n) // 62 bits
  const value = (high << 80n) | (0x8n << 76n) | (middle << 64n) | (0b10n << 62n) | low
  const hex = value.toString(16).padStart(32, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The 20-character id a UUID names (firebaseIdToUuid backwards); undefined for any other UUID. */
export function uuidToFirebaseId(uuid: string): string | undefined {
  if (!UUID_PATTERN.test(uuid)) return undefined
  const value = BigInt(`0x${uuid.replace(/-/g, '')}`)
  if (((value >> 76n) & 0xfn) !== 0x8n || ((value >> 62n) & 0b11n) !== 0b10n) return undefined
  const n = ((value >> 80n) << 74n) | (((value >> 64n) & 0xfffn) << 62n) | (value & ((1n << 62n) - 1n))
  if (n >= FIREBASE_ID_SPACE) return undefined
  let id = ''
  let rest = n
  for (let i = 0; i < FIREBASE_ID_LENGTH; i++) {
    id = BASE62[Number(rest % 62n)] + id
    rest /= 62n
  }
  return id
}
