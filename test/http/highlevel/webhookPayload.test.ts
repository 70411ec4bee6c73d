import { describe, expect, it } from 'vitest'
import { highLevelContactTagUpdate as contactTagUpdatePayload } from '../../../src/http/highlevel/webhookPayload.js'

describe("HighLevel's ContactTagUpdate payload", () => {
  it('builds the ContactTagUpdate payload, leaving out fields the contact lacks', () => {
    const payload = contactTagUpdatePayload(
      {
        // Columns the payload does not show.
        email_lower: 'john@example.com',
        timezone: null,
        search_text: '',
        updated_at: '2026-01-02T00:00:00.000Z',
        deleted_at: null,
        subscribed_at: null,
        unsubscribed_at: null,
        seq: 1,
        last_tag_event_id: null,
        location_id: 'loc',
        id: 'c1',
        first_name: 'John',
        last_name: 'Deo',
        name: 'John Deo',
        email: 'john@example.com',
        phone: null,
        company_name: null,
        address1: null,
        city: null,
        state: null,
        postal_code: null,
        country: 'DE',
        website: null,
        source: null,
        date_of_birth: null,
        assigned_to: null,
        dnd: 1,
        extra: { customFields: [{ id: 'f', value: 'v' }] },
        created_at: '2026-01-01T00:00:00.000Z',
      },
      ['vip'],
      { type: 'ContactTagUpdate', appId: 'app', webhookId: 'w', timestamp: '2026-11-22T00:00:00.000Z' },
    )
    // What goes on the wire: the JSON, without the fields the contact lacks.
    expect(JSON.parse(JSON.stringify(payload))).toStrictEqual({
      type: 'ContactTagUpdate',
      locationId: 'loc',
      id: 'c1',
      country: 'DE',
      dateAdded: '2026-01-01T00:00:00.000Z',
      dnd: true,
      email: 'john@example.com',
      name: 'John Deo',
      firstName: 'John',
      lastName: 'Deo',
      tags: ['vip'],
      attachments: [],
      customFields: [{ id: 'f', value: 'v' }],
      appId: 'app',
      timestamp: '2026-11-22T00:00:00.000Z',
      webhookId: 'w',
    })
  })
})
