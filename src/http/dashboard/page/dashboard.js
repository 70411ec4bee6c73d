// @ts-check
// Tagbase dashboard: plain DOM, no build step. Every value from the server goes through
// textContent (tag names and URLs are user data), never through HTML parsing.

const $ = (selector) => document.querySelector(selector)

/** An element with attributes/properties and children (strings become text nodes). */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    // Styles through CSSOM: the page's Content-Security-Policy refuses inline style attributes.
    if (key === 'dataset' || key === 'style') Object.assign(node[key], value)
    else if (key in node) node[key] = value
    else node.setAttribute(key, value)
  }
  for (const child of children) node.append(child)
  return node
}

async function api(path, init = {}) {
  const response = await fetch(`/dashboard/api${path}`, {
    ...init,
    headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
  })
  const body = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(body.message ?? `${response.status} ${response.statusText}`)
  return body
}

const numberFormat = new Intl.NumberFormat('en')
const formatNumber = (n) => (n === null || n === undefined ? '–' : numberFormat.format(n))
const formatTime = (iso) => (iso ? new Date(iso).toLocaleString() : '')

const state = {
  locationId: null,
  feed: null,
  /** Activity states last shown, to notice an activity finishing (its tags' counts change then). */
  activityStates: new Map(),
  /** The location's tag names by id, to say which tags each activity works on. */
  tagNames: new Map(),
}

function renderLocations(locations) {
  const list = $('#locations')
  list.replaceChildren(
    ...locations.map((l) =>
      el(
        'li',
        {},
        el(
          'button',
          {
            type: 'button',
            dataset: { locationId: l.id },
            'aria-current': String(l.id === state.locationId),
            onclick: () => selectLocation(l.id),
          },
          el('strong', {}, l.name),
          el('span', { className: 'muted location-contacts' }, ` ${formatNumber(l.contacts)} contacts`),
          l.activitiesRunning > 0
            ? el('span', { className: 'badge running' }, `${l.activitiesRunning} running`)
            : '',
          l.webhooksPaused > 0
            ? el('span', { className: 'badge paused' }, `${l.webhooksPaused} webhook paused`)
            : '',
        ),
      ),
    ),
  )
  $('#locations-empty').hidden = locations.length > 0
}

async function refreshLocations() {
  const { locations } = await api('/locations')
  renderLocations(locations)
  return locations
}

function renderTags(tags, total) {
  state.tagNames = new Map(tags.map((t) => [t.id, t.name]))
  const max = Math.max(1, ...tags.map((t) => t.contacts))
  $('#tags tbody').replaceChildren(
    ...tags.map((t) =>
      el(
        'tr',
        { dataset: { tagId: t.id, tagName: t.name } },
        el('td', {}, t.name),
        el('td', { className: 'number tag-contacts' }, formatNumber(t.contacts)),
        el(
          'td',
          { style: { width: '40%' } },
          el('div', { className: 'count-bar', style: { width: `${(t.contacts / max) * 100}%` } }),
        ),
      ),
    ),
  )
  $('#tags-empty').hidden = tags.length > 0
  $('#tags-total').textContent = total > tags.length ? `(most held ${tags.length} of ${total})` : `(${total})`
  const select = $('select[name="sourceTag"]')
  const chosen = select.value
  select.replaceChildren(
    ...tags.map((t) => el('option', { value: t.id }, `${t.name} (${formatNumber(t.contacts)})`)),
  )
  if (chosen) select.value = chosen
}

function progressBar(activity) {
  return el(
    'div',
    {
      className: 'bar',
      role: 'progressbar',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(activity.percentDone),
      dataset: { state: activity.state },
    },
    el('span', { style: { width: `${activity.percentDone}%` } }),
    el('b', { className: 'percent' }, `${activity.percentDone} %`),
  )
}

/** Cancel while it runs; Undo once an add/remove completed (the server refuses a second undo). */
function activityAction(activity) {
  // The server says which states are final and what may be undone; the page keeps no copy of the rules.
  const action = !activity.finished ? 'cancel' : activity.undoable ? 'undo' : null
  if (!action) return ''
  return el(
    'button',
    {
      type: 'button',
      className: 'action',
      dataset: { action },
      onclick: () => actOnActivity(activity.activityId, action),
    },
    action === 'cancel' ? 'Cancel' : 'Undo',
  )
}

async function actOnActivity(activityId, action) {
  const output = $('#activity-result')
  output.className = ''
  output.textContent = ''
  try {
    const { activity } = await api(
      `/locations/${encodeURIComponent(state.locationId)}/activities/${encodeURIComponent(activityId)}/${action}`,
      { method: 'POST', body: '{}' },
    )
    output.textContent =
      action === 'cancel' ? `Activity ${activityId} cancelled` : `Undo ${activity.activityId} queued`
  } catch (error) {
    output.className = 'error'
    output.textContent = error.message
  }
}

/** The names of the tags an activity works on, as far as the page knows them. */
function activityTagNames(activity) {
  const names = (activity.tagIds ?? []).map((id, i) => state.tagNames.get(id) ?? activity.tagNames?.[i])
  return names.filter(Boolean).join(', ')
}

function renderActivities(activities) {
  // The message under the form follows the activity it started to its end.
  const started = $('#start-result')
  const followed = activities.find((a) => a.activityId === started.dataset.activityId)
  if (followed?.finished) started.textContent = `Activity ${followed.activityId} ${followed.state}`
  $('#activities tbody').replaceChildren(
    ...activities.map((a) =>
      el(
        'tr',
        { dataset: { activityId: a.activityId, state: a.state, percent: String(a.percentDone) } },
        el(
          'td',
          {},
          el(
            'code',
            {
              className: 'copyable',
              title: `${a.activityId} (click to copy)`,
              onclick: () => navigator.clipboard?.writeText(a.activityId),
            },
            a.activityId.slice(0, 8),
          ),
        ),
        el(
          'td',
          {},
          a.kind.replace('contacts_', ''),
          el('span', { className: 'activity-tags' }, ` ${activityTagNames(a)}`),
        ),
        el('td', {}, el('span', { className: `state ${a.state}` }, a.state)),
        el('td', {}, progressBar(a)),
        el(
          'td',
          { className: 'number' },
          `${formatNumber(a.itemsCompleted)} / ${formatNumber(a.itemsTotal)}`,
        ),
        el('td', {}, formatTime(a.createdAt)),
        el(
          'td',
          {},
          activityAction(a),
          a.finished
            ? el(
                'a',
                {
                  className: 'results',
                  href: `/dashboard/api/locations/${encodeURIComponent(state.locationId)}/activities/${encodeURIComponent(a.activityId)}/results.csv`,
                  download: `activity-${a.activityId}-results.csv`,
                },
                'Results',
              )
            : '',
        ),
      ),
    ),
  )
  $('#activities-empty').hidden = activities.length > 0
}

/** ok: nothing owed or failing; retrying: failures in a row; paused: backing off; dead: parked deliveries. */
function webhookHealth(w) {
  if (w.pausedUntil) return 'paused'
  if (w.deliveries.dead > 0) return 'dead'
  if (w.consecutiveFailures > 0) return 'retrying'
  return 'ok'
}

function renderWebhooks(webhooks) {
  $('#webhooks tbody').replaceChildren(
    ...webhooks.map((w) => {
      const health = webhookHealth(w)
      return el(
        'tr',
        { dataset: { webhookId: w.id, health } },
        el('td', {}, el('code', {}, w.url)),
        el(
          'td',
          {},
          el(
            'span',
            {
              className: `health ${health}`,
              title: w.pausedUntil ? `paused until ${formatTime(w.pausedUntil)}` : '',
            },
            health,
          ),
          w.consecutiveFailures > 0 ? ` (${w.consecutiveFailures} failures in a row)` : '',
          // The last error while the endpoint is failing; once healthy again it is history.
          w.lastError && health !== 'ok'
            ? el(
                'div',
                { className: 'last-error' },
                `last error: ${w.lastError.message}`,
                w.lastError.at ? el('span', { className: 'muted' }, ` at ${formatTime(w.lastError.at)}`) : '',
              )
            : '',
        ),
        el('td', { className: 'number' }, formatNumber(w.deliveries.delivered)),
        el('td', { className: 'number' }, formatNumber(w.deliveries.pending)),
        el('td', { className: 'number' }, formatNumber(w.deliveries.delivering)),
        el('td', { className: 'number' }, formatNumber(w.deliveries.dead)),
      )
    }),
  )
  $('#webhooks-empty').hidden = webhooks.length > 0
}

function renderLive(live) {
  renderActivities(live.activities)
  renderWebhooks(live.webhooks)
  // An activity that just ended (or one that was never seen) changes tag counts: read them again.
  const finishedNow = live.activities.some(
    (a) => a.finished && state.activityStates.has(a.activityId) && !state.activityStates.get(a.activityId),
  )
  state.activityStates = new Map(live.activities.map((a) => [a.activityId, a.finished]))
  if (finishedNow) {
    void refreshLocation()
    void refreshLocations()
  }
}

async function refreshLocation() {
  const locationId = state.locationId
  const page = await api(`/locations/${encodeURIComponent(locationId)}`)
  if (locationId !== state.locationId) return
  $('#location-name').textContent = page.location.name
  $('#location-id').textContent = page.location.id
  $('#location-contacts').textContent = formatNumber(page.contacts)
  renderTags(page.tags, page.tagsTotal)
  return page
}

function setConnection(kind, text) {
  const node = $('#connection')
  node.dataset.state = kind
  node.textContent = text
}

/** Follows the location's activities and webhooks through server-sent events. */
function follow(locationId) {
  state.feed?.close()
  const feed = new EventSource(`/dashboard/api/locations/${encodeURIComponent(locationId)}/live`)
  state.feed = feed
  feed.addEventListener('open', () => setConnection('live', 'live'))
  feed.addEventListener('state', (event) => renderLive(JSON.parse(event.data)))
  feed.addEventListener('unavailable', () => setConnection('retrying', 'database unavailable, retrying'))
  feed.addEventListener('error', () => setConnection('retrying', 'reconnecting…'))
}

async function selectLocation(locationId) {
  state.locationId = locationId
  state.activityStates = new Map()
  history.replaceState(null, '', `#location=${encodeURIComponent(locationId)}`)
  const buttons = /** @type {NodeListOf<HTMLButtonElement>} */ (
    document.querySelectorAll('#locations button')
  )
  for (const button of buttons)
    button.setAttribute('aria-current', String(button.dataset.locationId === locationId))
  $('#welcome').hidden = true
  $('#location').hidden = false
  $('#start-result').textContent = ''
  const page = await refreshLocation()
  renderLive(page)
  follow(locationId)
}

async function startActivity(event) {
  event.preventDefault()
  const form = event.currentTarget
  const output = $('#start-result')
  const data = new FormData(form)
  const tags = String(data.get('tags'))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
  const source =
    data.get('source') === 'tag'
      ? { tagIds: [String(data.get('sourceTag') ?? '')].filter(Boolean) }
      : { allActiveContacts: true }
  output.className = ''
  output.textContent = 'starting…'
  try {
    const { activity } = await api(`/locations/${encodeURIComponent(state.locationId)}/activities`, {
      method: 'POST',
      body: JSON.stringify({ operation: data.get('operation'), tags, source }),
    })
    output.textContent = `Activity ${activity.activityId} queued`
    output.dataset.activityId = activity.activityId
    await refreshLocation()
  } catch (error) {
    output.className = 'error'
    output.textContent = error.message
  }
}

async function main() {
  $('#start-activity').addEventListener('submit', startActivity)
  const locations = await refreshLocations()
  const wanted = new URLSearchParams(location.hash.slice(1)).get('location')
  if (wanted && locations.some((l) => l.id === wanted)) await selectLocation(wanted)
}

main().catch((error) => setConnection('retrying', `could not load: ${error.message}`))
