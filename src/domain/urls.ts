import { isIP } from 'node:net'

/**
 * A URL as an operator may see it: user info and query values replaced by `***`, so secrets
 * put in a webhook URL (basic credentials, `?token=`) are not shown. Unparseable text is hidden.
 */
export function maskUrlSecrets(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return '***'
  }
  if (url.username) url.username = '***'
  if (url.password) url.password = '***'
  for (const key of [...new Set(url.searchParams.keys())]) url.searchParams.set(key, '***')
  return url.toString().replaceAll('%2A%2A%2A', '***')
}

function ipv4Octets(address: string): number[] | undefined {
  if (isIP(address) !== 4) return undefined
  return address.split('.').map(Number)
}

/** IPv4 ranges a webhook may not reach: this host, private networks, link-local (cloud metadata), CGNAT, reserved. */
function isInternalIpv4(o: readonly number[]): boolean {
  const [a = 0, b = 0] = o
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && o[2] === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  )
}

/**
 * Whether an IP address (v4 or v6, as DNS returns it) is loopback, private, link-local or
 * otherwise not a public internet address. IPv4-mapped and -translated IPv6 forms are judged
 * by their IPv4 address.
 */
export function isInternalAddress(address: string): boolean {
  const v4 = ipv4Octets(address)
  if (v4) return isInternalIpv4(v4)
  if (isIP(address) !== 6) return true
  const lower = address.toLowerCase()
  const mapped = /^(?:::ffff:(?:0:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1]
  if (mapped) return isInternalIpv4(ipv4Octets(mapped) ?? [0])
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower)
  if (hexMapped) {
    const hi = Number.parseInt(hexMapped[1] as string, 16)
    const lo = Number.parseInt(hexMapped[2] as string, 16)
    return isInternalIpv4([hi >> 8, hi & 255, lo >> 8, lo & 255])
  }
  if (lower === '::' || lower === '::1') return true
  const first = Number.parseInt(lower.split(':')[0] || '0', 16)
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xffc0) === 0xfec0 || // site-local (deprecated)
    (first & 0xff00) === 0xff00 || // multicast
    lower.startsWith('2001:db8:') || // documentation
    lower.startsWith('::') // other IPv4-compatible and unspecified forms
  )
}
