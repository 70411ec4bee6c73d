import type { ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'

export type LiveFeedOptions = {
  /** How often a followed location's state is read; only a changed state is sent. */
  pollMs: number
  /** A comment line after this long without a message keeps proxies from closing the stream. */
  keepAliveMs: number
  /** Open streams one credential may hold (a few tabs); more are refused with 429. */
  maxStreamsPerCredential: number
  /** Open streams in all; more are refused with 429. */
  maxStreams: number
}

export const LIVE_FEED_DEFAULTS: LiveFeedOptions = Object.freeze({
  pollMs: 500,
  keepAliveMs: 15_000,
  maxStreamsPerCredential: 8,
  maxStreams: 64,
})

type Stream = { response: ServerResponse; credential: string; lastWriteMs: number }

/** One followed location: one read per poll, whatever the number of streams following it. */
class LocationFeed<State> {
  readonly streams = new Set<Stream>()
  private timer: NodeJS.Timeout | undefined
  private reading = false
  private lastText = ''

  constructor(
    private readonly read: () => Promise<State>,
    private readonly log: FastifyBaseLogger,
    private readonly options: LiveFeedOptions,
  ) {}

  add(stream: Stream): void {
    this.streams.add(stream)
    write(stream, 'retry: 2000\n\n')
    if (this.lastText) write(stream, `event: state\ndata: ${this.lastText}\n\n`)
    if (!this.timer) {
      this.timer = setInterval(() => void this.tick(), this.options.pollMs)
      void this.tick()
    }
  }

  remove(stream: Stream): void {
    this.streams.delete(stream)
    if (this.streams.size === 0) this.stop()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private async tick(): Promise<void> {
    // A slow read is not stacked under the next one.
    if (this.reading) return
    this.reading = true
    try {
      const text = JSON.stringify(await this.read())
      const changed = text !== this.lastText
      this.lastText = text
      const now = Date.now()
      for (const stream of this.streams) {
        if (changed || stream.lastWriteMs === 0) write(stream, `event: state\ndata: ${text}\n\n`)
        else if (now - stream.lastWriteMs >= this.options.keepAliveMs) write(stream, ': keep-alive\n\n')
      }
    } catch (error) {
      this.log.warn({ err: error }, 'dashboard live feed read failed')
      this.lastText = ''
      for (const stream of this.streams)
        write(stream, 'event: unavailable\ndata: {"message":"the database did not answer; retrying"}\n\n')
    } finally {
      this.reading = false
    }
  }
}

function write(stream: Stream, text: string): void {
  if (stream.response.writableEnded) return
  stream.response.write(text)
  if (!text.startsWith('retry:')) stream.lastWriteMs = Date.now()
}

/**
 * Server-sent event streams of each location's live state, read from the database (activities run
 * in whatever process holds their lease, so the database is the one place that knows their
 * progress). Streams of one location share one poll; streams are capped per credential and in all,
 * so open streams cannot starve the API of database time.
 */
export class LiveHub<State> {
  private readonly feeds = new Map<string, LocationFeed<State>>()
  private readonly perCredential = new Map<string, number>()
  private open = 0

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly options: LiveFeedOptions = LIVE_FEED_DEFAULTS,
  ) {}

  /** Whether one more stream for this credential fits under the caps. */
  admits(credential: string): boolean {
    return (
      this.open < this.options.maxStreams &&
      (this.perCredential.get(credential) ?? 0) < this.options.maxStreamsPerCredential
    )
  }

  /** Starts streaming `locationId`'s state to `response` until it closes. */
  follow(locationId: string, credential: string, response: ServerResponse, read: () => Promise<State>): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    })
    let feed = this.feeds.get(locationId)
    if (!feed) {
      feed = new LocationFeed(read, this.log, this.options)
      this.feeds.set(locationId, feed)
    }
    const stream: Stream = { response, credential, lastWriteMs: 0 }
    this.open++
    this.perCredential.set(credential, (this.perCredential.get(credential) ?? 0) + 1)
    const followed = feed
    response.once('close', () => {
      this.open--
      const left = (this.perCredential.get(credential) ?? 1) - 1
      if (left > 0) this.perCredential.set(credential, left)
      else this.perCredential.delete(credential)
      followed.remove(stream)
      if (followed.streams.size === 0 && this.feeds.get(locationId) === followed)
        this.feeds.delete(locationId)
    })
    feed.add(stream)
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    for (const feed of this.feeds.values()) {
      feed.stop()
      for (const stream of feed.streams) stream.response.end()
    }
    this.feeds.clear()
  }
}
