import { type Command, InvalidArgumentError } from 'commander'
import { type ActivityOutcome, streamActivityResults } from '../services/activityResults.js'
import { withDatabase } from './runtime.js'

function outcomeOption(value: string): ActivityOutcome {
  if (value !== 'changed' && value !== 'skipped') throw new InvalidArgumentError('must be changed or skipped')
  return value
}

function formatOption(value: string): 'csv' | 'json' {
  if (value !== 'csv' && value !== 'json') throw new InvalidArgumentError('must be csv or json')
  return value
}

/**
 * `activity results`: every contact the activity changed, then every one it left unchanged (with
 * why), streamed page by page to stdout: CSV with a header, or JSON Lines (one result per line).
 */
export function registerActivityResultsCommand(activity: Command): void {
  activity
    .command('results')
    .description("stream an activity's per-contact results: what it changed, and what it skipped and why")
    .requiredOption('--location <id>', 'location the activity belongs to')
    .requiredOption('--id <activityId>', 'activity id')
    .option('--outcome <outcome>', 'only changed or only skipped contacts', outcomeOption)
    .option('--format <format>', 'csv (default) or json (JSON Lines)', formatOption, 'csv')
    .action((options: { location: string; id: string; outcome?: ActivityOutcome; format: 'csv' | 'json' }) =>
      withDatabase(async (database) => {
        const text = await streamActivityResults(
          database,
          options.location,
          options.id,
          options.format,
          options.outcome,
        )
        for await (const chunk of text) process.stdout.write(chunk)
      }),
    )
}
