import { createHash, randomBytes, randomUUID } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
export const FIREBASE_ID_LENGTH = 20
const FIREBASE_ID_PATTERN = /^[0-9A-Za-z]{20}$/

const TIME_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz'
/** 36^9 ms reach the year 5188. */
const TIME_PREFIX_LENGTH = 9
const RANDOM_SUFFIX_LENGTH = FIREBASE_ID_LENGTH - TIME_PREFIX_LENGTH

/**
 * A 20-character base62 id, the format HighLevel calls a "firebase id": the creation time in
 * milliseconds as 9 base36 digits, then 11 random base62 characters (~65 bits).
 *
 * The time prefix is there for the write path: ids created together sort together, like Firebase's
 * own push ids or UUIDv7, so a PostgreSQL heap in insertion order is also in id order and an
 * activity's id-ordered chunk of contacts lands on a few adjacent pages instead of one page per
 * contact (and new rows append to the right edge of id-keyed B-trees on both engines). The prefix
 * uses only digits and lowercase letters, whose order is the same in byte order and in the usual
 * locale collations, so the ids keep their time order under any database collation. Uniqueness
 * rests on the suffix: 1 000 000 ids in one millisecond collide with odds below 10^-8.
 */
export function newFirebaseId(): string {
  return firebaseIdAt(Date.now())
}

/** newFirebaseId as of `ms` (Unix milliseconds). */
export function firebaseIdAt(ms: number): string {
  return timePrefix(ms) + randomBase62(RANDOM_SUFFIX_LENGTH)
}

function timePrefix(ms: number): string {
  let prefix = ''
  let rest = Math.floor(ms)
  for (let i = 0; i < TIME_PREFIX_LENGTH; i++) {
    prefix = TIME_DIGITS[rest % 36] + prefix
    rest = Math.floor(rest / 36)
  }
  return prefix
}

/** Random bytes drawn 4 KiB at a time: a call into the system's generator per id cost as much as the id. */
const pool = { bytes: Buffer.alloc(0), next: 0 }

function randomByte(): number {
  if (pool.next === pool.bytes.length) {
    pool.bytes = randomBytes(4096)
    pool.next = 0
  }
  return pool.bytes[pool.next++] as number
}

function randomBase62(length: number): string {
  let text = ''
  while (text.length < length) {
    // 62 * 4 = 248: rejecting bytes ≥ 248 keeps every character equally likely.
    const byte = randomByte()
    if (byte < 248) text += BASE62[byte % 62]
  }
  return text
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
