import { readFile } from 'node:fs/promises'
import { type Command, InvalidArgumentError } from 'commander'
import { isTerminalActivityState } from '../domain/activities.js'
import { type ActivityState, isActivityState, SELECTOR_LIMITS } from '../domain/index.js'
import type { ContactSelector } from '../domain/selectors.js'
import {
  cancelActivity,
  createTaggingActivity,
  getActivity,
  listActivities,
  summarizeActivity,
  tagIdsForNames,
} from '../services/activities.js'
import { createUndoActivity } from '../services/undoActivity.js'
import type { ActivityRow } from '../store/activities.js'
import type { Database } from '../store/database.js'
import { ActivityWorker } from '../worker/activityWorker.js'
import { registerActivityResultsCommand } from './activityResults.js'
import { ProgressReporter } from './progress.js'
import { EXIT, print, UsageError, wantsJson, withDatabase } from './runtime.js'

function stateOption(raw: string): ActivityState {
  if (!isActivityState(raw)) throw new InvalidArgumentError(`unknown state ${raw}`)
  return raw
}

function positive(raw: string): number {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer')
  return n
}

function tagList(raw: string): string[] {
  const names = raw
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  if (names.length === 0) throw new InvalidArgumentError('name at least one tag')
  return names
}

/** Contact ids from a file: one per line (or separated by commas/whitespace); `#` starts a comment. */
async function idsFromFile(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8')
  const ids = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter(Boolean)
  return [...new Set(ids)]
}

type TagOptions = {
  location: string
  tags: string[]
  idsFile?: string
  list?: string
  all?: boolean
  work?: boolean
}

/** One selector per activity: id files are cut into the activity API's 500-id batches. */
async function selectorsFor(options: TagOptions): Promise<ContactSelector[]> {
  const chosen = [options.idsFile, options.list, options.all].filter((o) => o !== undefined && o !== false)
  if (chosen.length !== 1) throw new UsageError('choose exactly one of --ids-file, --list, --all')
  if (options.list) return [{ kind: 'list_ids', listIds: [options.list], excludeContactIds: [] }]
  if (options.all) return [{ kind: 'all_active_contacts', excludeContactIds: [] }]
  const ids = await idsFromFile(options.idsFile as string)
  if (ids.length === 0) throw new UsageError(`${options.idsFile} names no contact ids`)
  const selectors: ContactSelector[] = []
  for (let i = 0; i < ids.length; i += SELECTOR_LIMITS.contactIds)
    selectors.push({ kind: 'contact_ids', contactIds: ids.slice(i, i + SELECTOR_LIMITS.contactIds) })
  return selectors
}

/**
 * Waits for activities to end, drawing their combined progress. With `work`, runs them in this
 * process (no server or worker needed); otherwise a `tagbase serve`/`worker` must be running.
 */
async function follow(
  database: Database,
  locationId: string,
  ids: string[],
  work: boolean,
): Promise<ActivityRow[]> {
  const worker = work ? new ActivityWorker(database) : undefined
  const progress = new ProgressReporter()
  for (;;) {
    if (worker) await worker.runOne()
    const rows = await Promise.all(ids.map((id) => getActivity(database, locationId, id)))
    // Unknown until every activity has started and counted its contacts.
    const started = rows.every((r) => r.items_total !== null || isTerminalActivityState(r.state))
    const total = started ? rows.reduce((n, r) => n + (r.items_total ?? 0), 0) : null
    const done = rows.reduce((n, r) => n + r.items_completed, 0)
    progress.update({ done, total, unit: 'contacts' })
    if (rows.every((r) => isTerminalActivityState(r.state))) {
      progress.finish()
      return rows
    }
    if (!worker) await new Promise((r) => setTimeout(r, 250))
  }
}

/** `activity list|show|cancel|undo` and `tag add|remove`. */
export function registerActivityCommands(program: Command): void {
  const activity = program.command('activity').description('manage asynchronous activities')
  activity
    .command('list')
    .description("a location's activities, newest first")
    .requiredOption('--location <id>', 'location')
    .option('--state <state>', 'only activities in this state', stateOption)
    .option('--limit <n>', 'at most this many', positive, 20)
    .action((options: { location: string; state?: ActivityState; limit: number }, command: Command) =>
      withDatabase(async (database) => {
        const rows = await listActivities(database, options.location, {
          limit: options.limit,
          ...(options.state ? { state: options.state } : {}),
        })
        print(command, rows.map(summarizeActivity))
      }),
    )
  activity
    .command('show')
    .description('one activity, with its errors')
    .requiredOption('--location <id>', 'location')
    .requiredOption('--id <activityId>', 'activity id')
    .action((options: { location: string; id: string }, command: Command) =>
      withDatabase(async (database) => {
        const row = await getActivity(database, options.location, options.id)
        print(command, { ...summarizeActivity(row), errors: row.errors })
      }),
    )
  activity
    .command('cancel')
    .description('cancel an activity that has not finished; chunks already applied stay applied')
    .requiredOption('--location <id>', 'location the activity belongs to')
    .requiredOption('--id <activityId>', 'activity id')
    .action((options: { location: string; id: string }, command: Command) =>
      withDatabase(async (database) => {
        const row = await cancelActivity(database, options.location, options.id)
        print(command, { activityId: row.id, state: row.state, itemsCompleted: row.items_completed })
      }),
    )
  activity
    .command('undo')
    .description('queue an undo of a finished add/remove activity; contacts changed since are left alone')
    .requiredOption('--location <id>', 'location the activity belongs to')
    .requiredOption('--id <activityId>', 'activity to undo')
    .action((options: { location: string; id: string }, command: Command) =>
      withDatabase(async (database) => {
        const row = await createUndoActivity(database, options.location, options.id)
        print(command, { activityId: row.id, undoOf: row.undo_of, state: row.state })
      }),
    )
  registerActivityResultsCommand(activity)

  const tag = program.command('tag').description('add or remove tags on many contacts (as activities)')
  for (const [operation, kind] of [
    ['add', 'contacts_taggings_add'],
    ['remove', 'contacts_taggings_remove'],
  ] as const) {
    tag
      .command(operation)
      .description(`${operation} tags on the chosen contacts and follow the activity to its end`)
      .requiredOption('--location <id>', 'location')
      .requiredOption('--tags <names>', 'comma-separated tag names', tagList)
      .option('--ids-file <path>', 'contact ids, one per line')
      .option('--list <listId>', 'the contacts of a list')
      .option('--all', 'every active contact')
      .option('--work', 'run the activity in this process instead of waiting for a worker')
      .action(async (options: TagOptions, command: Command) => {
        const rows = await withDatabase(async (database) => {
          const selectors = await selectorsFor(options)
          const tagIds = await tagIdsForNames(database, options.location, kind, options.tags)
          const created: string[] = []
          for (const selector of selectors)
            created.push(
              (await createTaggingActivity(database, options.location, { kind, selector, tagIds })).id,
            )
          return follow(database, options.location, created, options.work === true)
        })
        const results = rows.map(summarizeActivity)
        print(command, wantsJson(command) || results.length > 1 ? results : results[0])
        if (rows.some((r) => r.state !== 'completed')) process.exitCode = EXIT.failed
      })
  }
}
