#!/usr/bin/env node
// The npm registry these machines use serves only some platforms' builds of packages such as
// @biomejs/biome and rollup. `npm install` then leaves the other platforms' optional packages out
// of package-lock.json, and `npm ci` refuses the lock as "out of sync". This script writes those
// entries back (name, version, os/cpu/libc read from the package name) so `npm ci` accepts the
// lock and skips them as foreign platforms. Run it after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs'

const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32']
const CPU = ['arm64', 'x64', 'arm', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x']

function platformOf(name) {
  const parts = name.split('/').pop().split('-')
  const os = parts.find((p) => OS.includes(p))
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes('arm') ? 'arm' : undefined)
  if (!os || !cpu) return undefined
  const libc =
    os === 'linux' ? (parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : 'glibc') : undefined
  return { os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}) }
}

const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))
let added = 0
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const prefix = path === '' ? '' : `${path}/`
    if (lock.packages[`${prefix}node_modules/${name}`] || lock.packages[`node_modules/${name}`]) continue
    const platform = platformOf(name)
    if (!platform) continue
    lock.packages[`node_modules/${name}`] = {
      version,
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...platform,
    }
    added++
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
)
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`)
console.log(`added ${added} foreign-platform entries to package-lock.json`)
