import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import {
  createListMembershipActivity,
  createTagDeleteActivity,
  createTaggingActivity,
  getActivity,
  listActivities,
  previewListMembershipActivity,
  previewTaggingActivity,
} from '../../../services/activities.js'
import { activityResultsPage, type ResultsPosition, resultRecord } from '../../../services/activityResults.js'
import { createUndoActivity } from '../../../services/undoActivity.js'
import { distinctIds, selectorOfListMembershipBody, selectorOfTaggingBody } from '../activityBodies.js'
import { accountOf } from '../auth.js'
import { badRequest } from '../errors.js'
import { decodePositionCursor, encodePositionCursor, invalidCursor, nextLinkWithCursor } from '../paging.js'
import { presentActivity } from '../presenters.js'
import {
  ActivityDocument,
  ActivityListDocument,
  ActivityResultsDocument,
  ConstantContactErrorsDocument,
  ListMembershipPreviewDocument,
  TaggingPreviewDocument,
} from '../responses.js'
import {
  ActivitiesQuery,
  ActivityResultsQuery,
  DryRunQuery,
  IdParams,
  ListMembershipActivityBody,
  TagDeleteActivityBody,
  TaggingActivityBody,
} from '../schemas.js'

const NOT_FOUND = { ...ConstantContactErrorsDocument, description: 'No such activity in this account' }
const CONFLICT = {
  ...ConstantContactErrorsDocument,
  description: 'The activity cannot be undone (see README, Undo)',
}

/** The results cursor's parts back as a position; anything else is a forged cursor (400). */
function resultsPositionOf(parts: string[] | undefined): ResultsPosition | undefined {
  if (!parts) return undefined
  const [phase, a, b] = parts
  if (phase === 'listed' && a !== undefined && b === '0') return { phase, afterContactId: a }
  const first = Number(a)
  const second = Number(b)
  if (Number.isInteger(first) && first >= 0 && Number.isInteger(second) && second >= 0) {
    if (phase === 'changed') return { phase, afterEventId: first }
    if (phase === 'skipped') return { phase, seq: first, index: second }
  }
  throw invalidCursor()
}

export const activityRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const kind of ['contacts_taggings_add', 'contacts_taggings_remove'] as const) {
    const options = {
      schema: { querystring: DryRunQuery, body: TaggingActivityBody },
      config: {
        documentedResponses: { 201: ActivityDocument, 200: TaggingPreviewDocument },
      },
    }
    app.post(`/activities/${kind}`, options, async (request, reply) => {
      const parsed = selectorOfTaggingBody(request.body)
      if (!parsed.ok) throw badRequest(parsed.problems)
      const input = { kind, selector: parsed.selector, tagIds: parsed.tagIds }
      const locationId = accountOf(request).locationId
      if (request.query.dry_run) {
        const preview = await previewTaggingActivity(app.database, locationId, input)
        return reply.code(200).send({
          dry_run: true,
          items_total_count: preview.itemsTotal,
          contacts_to_change: preview.contactsToChange,
          taggings_to_change: preview.taggingsToChange,
        })
      }
      const activity = await createTaggingActivity(app.database, locationId, input)
      app.activityQueued()
      return reply.code(201).send(presentActivity(activity))
    })
  }

  for (const kind of ['add_list_memberships', 'remove_list_memberships'] as const) {
    const options = {
      schema: { querystring: DryRunQuery, body: ListMembershipActivityBody },
      config: {
        documentedResponses: { 201: ActivityDocument, 200: ListMembershipPreviewDocument },
      },
    }
    app.post(`/activities/${kind}`, options, async (request, reply) => {
      const parsed = selectorOfListMembershipBody(request.body)
      if (!parsed.ok) throw badRequest(parsed.problems)
      const input = { kind, selector: parsed.selector, listIds: parsed.listIds }
      const locationId = accountOf(request).locationId
      if (request.query.dry_run) {
        const preview = await previewListMembershipActivity(app.database, locationId, input)
        return reply.code(200).send({
          dry_run: true,
          items_total_count: preview.itemsTotal,
          contacts_to_change: preview.contactsToChange,
          memberships_to_change: preview.membershipsToChange,
        })
      }
      const activity = await createListMembershipActivity(app.database, locationId, input)
      app.activityQueued()
      return reply.code(201).send(presentActivity(activity))
    })
  }

  app.post(
    '/activities/contacts_tags_delete',
    {
      schema: { querystring: DryRunQuery, body: TagDeleteActivityBody },
      config: { documentedResponses: { 201: ActivityDocument } },
    },
    async (request, reply) => {
      // Refused rather than ignored: ignoring it would delete tags the caller only meant to preview.
      if (request.query.dry_run)
        throw badRequest([{ message: 'dry_run is not supported for contacts_tags_delete' }])
      const activity = await createTagDeleteActivity(
        app.database,
        accountOf(request).locationId,
        distinctIds(request.body.tag_ids),
      )
      app.activityQueued()
      return reply.code(201).send(presentActivity(activity))
    },
  )

  // Tagbase's own: reverts a finished add/remove activity (see README, "Undo").
  app.post(
    '/activities/:activity_id/undo',
    {
      schema: { params: IdParams.activity },
      config: { documentedResponses: { 201: ActivityDocument, 404: NOT_FOUND, 409: CONFLICT } },
    },
    async (request, reply) => {
      const undo = await createUndoActivity(
        app.database,
        accountOf(request).locationId,
        request.params.activity_id,
      )
      app.activityQueued()
      return reply.code(201).send(presentActivity(undo))
    },
  )

  // Tagbase's own: what the activity did to each contact, complete, paged.
  app.get(
    '/activities/:activity_id/results',
    {
      schema: { params: IdParams.activity, querystring: ActivityResultsQuery },
      config: { documentedResponses: { 200: ActivityResultsDocument, 404: NOT_FOUND } },
    },
    async (request) => {
      const { outcome, limit, cursor } = request.query
      const position = resultsPositionOf(decodePositionCursor(cursor, 3))
      const { results, next } = await activityResultsPage(
        app.database,
        accountOf(request).locationId,
        request.params.activity_id,
        { ...(outcome ? { outcome } : {}), ...(position ? { after: position } : {}), limit },
      )
      return {
        results: results.map(resultRecord),
        _links: next
          ? nextLinkWithCursor(
              `/v3/activities/${request.params.activity_id}/results`,
              { outcome, limit },
              results,
              results.length,
              encodePositionCursor(
                next.phase === 'changed'
                  ? ['changed', String(next.afterEventId), '0']
                  : next.phase === 'listed'
                    ? ['listed', next.afterContactId, '0']
                    : ['skipped', String(next.seq), String(next.index)],
              ),
            )
          : {},
      }
    },
  )

  app.get(
    '/activities/:activity_id',
    {
      schema: { params: IdParams.activity },
      config: { documentedResponses: { 200: ActivityDocument, 404: NOT_FOUND } },
    },
    async (request) =>
      presentActivity(
        await getActivity(app.database, accountOf(request).locationId, request.params.activity_id),
      ),
  )

  app.get(
    '/activities',
    {
      schema: { querystring: ActivitiesQuery },
      config: { documentedResponses: { 200: ActivityListDocument } },
    },
    async (request) => {
      const { limit, state, cursor } = request.query
      const position = decodePositionCursor(cursor, 2)
      // timed_out is a Constant Contact state Tagbase never enters (leases expire and work resumes).
      const rows =
        state === 'timed_out'
          ? []
          : await listActivities(app.database, accountOf(request).locationId, {
              limit,
              ...(state ? { state } : {}),
              ...(position ? { after: { createdAt: position[0] as string, id: position[1] as string } } : {}),
            })
      const last = rows.at(-1)
      return {
        activities: rows.map(presentActivity),
        _links: nextLinkWithCursor(
          '/v3/activities',
          { limit, state },
          rows,
          limit,
          last ? encodePositionCursor([last.created_at, last.id]) : undefined,
        ),
      }
    },
  )
}
