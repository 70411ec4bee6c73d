import { connect, createServer, type Server, type Socket } from 'node:net'

export type ProxyMode = 'pass' | 'blackhole' | 'refuse'

/**
 * A TCP proxy on loopback that a test puts between the service and a dependency (PostgreSQL,
 * Redis) to make faults happen for real: `blackhole()` keeps connections open but drops every
 * byte (a frozen server, a dropped route), `refuse()` closes the port, `resetAll()` sends RST on
 * every open connection, `restore()` goes back to forwarding.
 */
export class TcpProxy {
  private mode: ProxyMode = 'pass'
  private server: Server | undefined
  private readonly pairs = new Set<{ client: Socket; upstream: Socket | undefined }>()
  private readonly downstreamTaps = new Set<(chunk: Buffer) => void>()

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
    private readonly targetHost: string,
  ) {}

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const proxy = new TcpProxy(port, targetPort, targetHost)
    await proxy.listen()
    return proxy
  }

  /** A proxy in front of the server a URL names, and that URL pointed at the proxy instead. */
  static async inFrontOf(target: string): Promise<{ proxy: TcpProxy; url: string }> {
    const url = new URL(target)
    const proxy = await TcpProxy.start(Number(url.port || 5432), url.hostname)
    url.host = `127.0.0.1:${proxy.port}`
    return { proxy, url: url.toString() }
  }

  /** Connections open now (accepted, not yet closed). */
  get connections(): number {
    return this.pairs.size
  }

  private listen(): Promise<void> {
    const server = createServer((client) => this.accept(client))
    this.server = server
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => resolve())
    })
  }

  private accept(client: Socket): void {
    const pair: { client: Socket; upstream: Socket | undefined } = { client, upstream: undefined }
    this.pairs.add(pair)
    const drop = () => {
      this.pairs.delete(pair)
      client.destroy()
      pair.upstream?.destroy()
    }
    client.on('error', drop)
    client.on('close', drop)
    // A blackholed proxy accepts and then says nothing, like a host whose packets vanish.
    if (this.mode === 'blackhole') return
    const upstream = connect(this.targetPort, this.targetHost)
    pair.upstream = upstream
    upstream.on('error', drop)
    upstream.on('close', drop)
    client.on('data', (chunk) => {
      if (this.mode === 'pass') upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') return
      for (const tap of this.downstreamTaps) tap(chunk)
      client.write(chunk)
    })
  }

  /** Sees every byte the dependency sends back, in order, as it is forwarded; returns the untap. */
  tapDownstream(listener: (chunk: Buffer) => void): () => void {
    this.downstreamTaps.add(listener)
    return () => this.downstreamTaps.delete(listener)
  }

  blackhole(): void {
    this.mode = 'blackhole'
  }

  /** Closes the port (new connections are refused) and resets the open ones. */
  async refuse(): Promise<void> {
    this.mode = 'refuse'
    const server = this.server
    this.server = undefined
    this.resetAll()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  resetAll(): void {
    for (const pair of [...this.pairs]) {
      pair.client.resetAndDestroy()
      pair.upstream?.destroy()
      this.pairs.delete(pair)
    }
  }

  /** Forwards again; connections that lived through a blackhole are reset (their streams lost bytes). */
  async restore(): Promise<void> {
    if (this.mode === 'blackhole') this.resetAll()
    this.mode = 'pass'
    if (!this.server) await this.listen()
  }

  async close(): Promise<void> {
    await this.refuse()
  }
}
