import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client'

/**
 * The process's Prometheus instruments. One registry per process, as Prometheus expects: each
 * `tagbase serve` exposes what it (and its in-process workers) did; gauges that describe the
 * shared database (activities by state, queue lag) are read from it when scraped.
 */
export const metricsRegistry = new Registry()
// process_* and nodejs_* series (CPU, memory, event-loop lag, handles), as operators expect.
collectDefaultMetrics({ register: metricsRegistry })

export const httpRequests = new Counter({
  name: 'tagbase_http_requests_total',
  help: 'HTTP requests answered, by route pattern, method and status code',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [metricsRegistry],
})

export const httpRequestSeconds = new Histogram({
  name: 'tagbase_http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by route pattern and method',
  labelNames: ['route', 'method'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
})

export const tagRowsWritten = new Counter({
  name: 'tagbase_tag_rows_written_total',
  help: 'Contact tag rows added or removed, by what wrote them (bulk API, activity, undo)',
  labelNames: ['source', 'operation'] as const,
  registers: [metricsRegistry],
})

export const webhookDeliveries = new Counter({
  name: 'tagbase_webhook_deliveries_total',
  help: 'Webhook delivery attempts by result: delivered, retry (failed, will retry), dead, lost (lease expired)',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
})
