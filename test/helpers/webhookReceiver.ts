import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * How the receiver treats one request:
 * - ok: reads the body, processes it, answers 200;
 * - error500: reads the body, refuses it with 500 (not processed);
 * - timeout: reads and processes the body, then never answers (ambiguous for the sender);
 * - resetAfterRead: reads and processes the body, then drops the connection (ambiguous);
 * - resetBeforeRead: drops the connection before reading anything (not processed).
 */
export type ReceiverBehaviour = 'ok' | 'error500' | 'timeout' | 'resetAfterRead' | 'resetBeforeRead'

export type Receipt = {
  behaviour: ReceiverBehaviour
  /** The receiver acted on the event (the sender may not know). */
  processed: boolean
  /** The sender cannot tell whether it was processed. */
  ambiguous: boolean
  rawBody: string
  body: Record<string, any>
  headers: IncomingMessage['headers']
}

export type WebhookReceiver = {
  url: string
  receipts: Receipt[]
  /** Requests met with each behaviour, including those dropped before being read. */
  seen: Record<ReceiverBehaviour, number>
  /** The most requests it was answering at once. */
  peakInFlight(): number
  setBehaviour(choose: (requestIndex: number) => ReceiverBehaviour): void
  close(): Promise<void>
}

/** A deterministic pseudo-random sequence (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    request.on('data', (c: Buffer) => chunks.push(c))
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    request.on('error', reject)
  })
}

/** `answerDelayMs` holds every answer back that long, so deliveries stay in flight. */
export async function startWebhookReceiver(
  options: { answerDelayMs?: number } = {},
): Promise<WebhookReceiver> {
  const receipts: Receipt[] = []
  const seen: Record<ReceiverBehaviour, number> = {
    ok: 0,
    error500: 0,
    timeout: 0,
    resetAfterRead: 0,
    resetBeforeRead: 0,
  }
  const sockets = new Set<Socket>()
  let choose: (index: number) => ReceiverBehaviour = () => 'ok'
  let index = 0
  let inFlight = 0
  let peak = 0

  const server: Server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const behaviour = choose(index++)
    seen[behaviour] += 1
    inFlight += 1
    peak = Math.max(peak, inFlight)
    response.on('close', () => {
      inFlight -= 1
    })
    if (behaviour === 'resetBeforeRead') {
      request.socket.destroy()
      return
    }
    const rawBody = await readBody(request)
    const processed = behaviour !== 'error500'
    receipts.push({
      behaviour,
      processed,
      ambiguous: behaviour === 'timeout' || behaviour === 'resetAfterRead',
      rawBody,
      body: JSON.parse(rawBody),
      headers: request.headers,
    })
    if (options.answerDelayMs) await new Promise((r) => setTimeout(r, options.answerDelayMs))
    if (behaviour === 'ok') response.writeHead(200).end('ok')
    else if (behaviour === 'error500') response.writeHead(500).end('boom')
    else if (behaviour === 'resetAfterRead') request.socket.destroy()
    // timeout: leave the request hanging; the sender gives up, close() cleans up.
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('receiver did not bind')

  return {
    url: `http://127.0.0.1:${address.port}/hooks/tagbase`,
    receipts,
    seen,
    peakInFlight: () => peak,
    setBehaviour(next) {
      choose = next
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
