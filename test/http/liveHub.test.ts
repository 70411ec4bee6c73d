import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { describe, expect, it } from 'vitest'
import { LiveHub } from '../../src/http/dashboard/liveFeed.js'

/** Enough of a ServerResponse for the hub: records what is written, closes on demand. */
function fakeResponse() {
  const emitter = new EventEmitter()
  const written: string[] = []
  const response = Object.assign(emitter, {
    writableEnded: false,
    writeHead() {},
    write(text: string) {
      written.push(text)
      return true
    },
    end() {
      response.writableEnded = true
      emitter.emit('close')
    },
  })
  return { response: response as unknown as ServerResponse, written, close: () => response.end() }
}

const silent = { warn() {} } as unknown as FastifyBaseLogger

describe('live streams of the dashboard', () => {
  it('share one database read per location and poll, however many streams follow it', async () => {
    let reads = 0
    const hub = new LiveHub<{ n: number }>(silent, {
      pollMs: 20,
      keepAliveMs: 60_000,
      maxStreamsPerCredential: 100,
      maxStreams: 100,
    })
    const read = async () => {
      reads++
      return { n: 1 }
    }
    const streams = Array.from({ length: 50 }, () => fakeResponse())
    for (const s of streams) hub.follow('loc', 'op', s.response, read)
    await new Promise((r) => setTimeout(r, 210))
    // ~11 polls in 210 ms, not 50 streams × 11.
    expect(reads).toBeGreaterThan(3)
    expect(reads).toBeLessThan(20)
    for (const s of streams) expect(s.written.filter((w) => w.startsWith('event: state'))).toHaveLength(1)
    for (const s of streams) s.close()
    const after = reads
    await new Promise((r) => setTimeout(r, 100))
    expect(reads).toBe(after) // nobody follows: no more reads
  })

  it('caps streams per credential and in all, and frees a slot when a stream closes', () => {
    const hub = new LiveHub(silent, {
      pollMs: 1000,
      keepAliveMs: 60_000,
      maxStreamsPerCredential: 2,
      maxStreams: 3,
    })
    const read = async () => ({})
    const a = fakeResponse()
    hub.follow('loc', 'op1', a.response, read)
    hub.follow('loc', 'op1', fakeResponse().response, read)
    expect(hub.admits('op1')).toBe(false)
    expect(hub.admits('op2')).toBe(true)
    hub.follow('other', 'op2', fakeResponse().response, read)
    expect(hub.admits('op3')).toBe(false)
    a.close()
    expect(hub.admits('op1')).toBe(true)
    hub.close()
  })
})
