import type { Command } from 'commander'

/**
 * The HTTP stack and the workers are imported only by the two commands that run them, so every
 * other command (scripts call `tagbase token create` and the like one process at a time) starts
 * without loading Fastify, its schemas and the delivery client.
 */
/** `serve` and `worker`: the long-running processes. */
export function registerProcessCommands(program: Command): void {
  program
    .command('serve')
    .description(
      'run the HTTP API with an activity worker (unless ACTIVITY_WORKER=off) and a webhook worker (unless WEBHOOK_WORKER=off); migrates first',
    )
    .addHelpText(
      'after',
      `
Settings (environment, or ./.env; every one in .env.example):
  PORT=8080  HOST=0.0.0.0  DATABASE_URL=sqlite:./data/tagbase.db (or postgres://…)
  ACTIVITY_WORKER=on  WEBHOOK_WORKER=on  REDIS_URL (shared rate limits)  LOG_LEVEL=info

Examples:
  tagbase serve
  PORT=9000 DATABASE_URL=postgres://tagbase@db:5432/tagbase ACTIVITY_WORKER=off tagbase serve`,
    )
    .action(async () => (await import('./longRunning.js')).serve())
  program
    .command('worker')
    .description(
      'run an activity worker and a webhook delivery worker, no API (several may share PostgreSQL)',
    )
    .addHelpText(
      'after',
      `
Settings (environment, or ./.env): DATABASE_URL, METRICS_PORT (serve /metrics, /healthz, /readyz),
ACTIVITY_CHUNK_SIZE=5000, WEBHOOK_CONCURRENCY=16; every one in .env.example.

Example:
  DATABASE_URL=postgres://tagbase@db:5432/tagbase METRICS_PORT=9100 tagbase worker`,
    )
    .action(async () => (await import('./longRunning.js')).work())
}
