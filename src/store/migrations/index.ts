import type { Kysely, Migration, MigrationProvider } from 'kysely'
import type { DialectName } from '../database.js'
import * as m0001 from './0001_initial.js'
import * as m0002 from './0002_activities.js'
import * as m0003 from './0003_idempotency.js'
import * as m0004 from './0004_webhooks_and_undo.js'
import * as m0005 from './0005_deleted_contacts.js'
import * as m0006 from './0006_hardening.js'
import * as m0007 from './0007_activity_checks.js'
import * as m0008 from './0008_lean_tag_writes.js'
import * as m0009 from './0009_clustered_contacts.js'
import * as m0010 from './0010_tag_display_names.js'
import * as m0011 from './0011_location_phone_country.js'
import * as m0012 from './0012_webhook_event_types.js'
import * as m0013 from './0013_activity_tag_names.js'
import * as m0014 from './0014_activity_skips.js'
import * as m0015 from './0015_webhook_last_error.js'
import * as m0016 from './0016_list_membership_activities.js'
import * as m0017 from './0017_webhook_senders.js'
import * as m0018 from './0018_drop_in_flight_index.js'
import * as m0019 from './0019_activity_event_windows.js'
import * as m0020 from './0020_sqlite_events_key_only.js'
import * as m0021 from './0021_contact_tags_key_only.js'
import * as m0022 from './0022_contacts_room_for_touches.js'
import * as m0023 from './0023_compact_event_columns.js'
import * as m0024 from './0024_tag_event_chain.js'
import * as m0025 from './0025_delivery_claims_touch_no_index.js'

type DialectMigration = { up(db: Kysely<unknown>, dialect: DialectName): Promise<void> }

/** Numbered migrations, applied in key order. Listed explicitly so the compiled build needs no file scanning. */
const MIGRATIONS: Record<string, DialectMigration> = {
  '0001_initial': m0001,
  '0002_activities': m0002,
  '0003_idempotency': m0003,
  '0004_webhooks_and_undo': m0004,
  '0005_deleted_contacts': m0005,
  '0006_hardening': m0006,
  '0007_activity_checks': m0007,
  '0008_lean_tag_writes': m0008,
  '0009_clustered_contacts': m0009,
  '0010_tag_display_names': m0010,
  '0011_location_phone_country': m0011,
  '0012_webhook_event_types': m0012,
  '0013_activity_tag_names': m0013,
  '0014_activity_skips': m0014,
  '0015_webhook_last_error': m0015,
  '0016_list_membership_activities': m0016,
  '0017_webhook_senders': m0017,
  '0018_drop_in_flight_index': m0018,
  '0019_activity_event_windows': m0019,
  '0020_sqlite_events_key_only': m0020,
  '0021_contact_tags_key_only': m0021,
  '0022_contacts_room_for_touches': m0022,
  '0023_compact_event_columns': m0023,
  '0024_tag_event_chain': m0024,
  '0025_delivery_claims_touch_no_index': m0025,
}

export function migrationProvider(dialect: DialectName): MigrationProvider {
  return {
    async getMigrations() {
      const result: Record<string, Migration> = {}
      for (const [name, migration] of Object.entries(MIGRATIONS)) {
        result[name] = { up: (db) => migration.up(db, dialect) }
      }
      return result
    },
  }
}
