import type { ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'

export type LiveFeedOptions = {
  /** How often the state is read; only a changed state is sent. */
  pollMs: number
  /** A comment line after this long without a message keeps proxies from closing the stream. */
  keepAliveMs: number
}

export const LIVE_FEED_DEFAULTS: LiveFeedOptions = Object.freeze({ pollMs: 500, keepAliveMs: 15_000 })

/**
 * A server-sent events stream of one state read from the database: activities run in whatever
 * process holds their lease (this one, or a `tagbase worker` elsewhere), so the database is the
 * one place that knows their progress. Each read that differs from the last one sent is an
 * `event: state`; a failed read is an `event: unavailable` and the feed keeps trying.
 */
export class LiveFeed<State> {
  private timer: NodeJS.Timeout | undefined
  private reading = false
  private lastSent = ''
  private lastWriteMs = Date.now()
  private closed = false

  constructor(
    private readonly response: ServerResponse,
    private readonly read: () => Promise<State>,
    private readonly log: FastifyBaseLogger,
    private readonly options: LiveFeedOptions = LIVE_FEED_DEFAULTS,
  ) {}

  start(): void {
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    })
    this.write('retry: 2000\n\n')
    this.timer = setInterval(() => void this.tick(), this.options.pollMs)
    void this.tick()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.timer)
    this.response.end()
  }

  private write(text: string): void {
    if (this.closed) return
    this.response.write(text)
    this.lastWriteMs = Date.now()
  }

  private async tick(): Promise<void> {
    // A slow read is not stacked under the next one.
    if (this.reading || this.closed) return
    this.reading = true
    try {
      const text = JSON.stringify(await this.read())
      if (text !== this.lastSent) {
        this.lastSent = text
        this.write(`event: state\ndata: ${text}\n\n`)
      } else if (Date.now() - this.lastWriteMs >= this.options.keepAliveMs) this.write(': keep-alive\n\n')
    } catch (error) {
      this.log.warn({ err: error }, 'dashboard live feed read failed')
      this.lastSent = ''
      this.write('event: unavailable\ndata: {"message":"the database did not answer; retrying"}\n\n')
    } finally {
      this.reading = false
    }
  }
}
