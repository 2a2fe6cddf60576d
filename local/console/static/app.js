// The local console's page: plain DOM, the graph laid out by dagre (served from node_modules by the cloud).
// It reads only /console/api/* on the same port, and redraws when the cloud says something changed.
import dagre from '/console/vendor/dagre.js';

const view = document.getElementById('view');
const live = document.getElementById('live');

/** Builds an element: h('td', { class: 'mono' }, 'text', child...). Text is always set as text, never HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

async function api(path) {
  const res = await fetch(path, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Epoch ms as date and time of day (UTC), to the millisecond. */
function stamp(ms) {
  if (ms === undefined || ms === null) return '';
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function duration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function badge(text, cls = text) {
  return h('span', { class: `badge ${cls}` }, text);
}

function pretty(json) {
  if (json === undefined || json === null) return '';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

// ---- Recordings ------------------------------------------------------------------------------------

async function recordingsPage() {
  const [{ now, recordings: rows }, faults] = await Promise.all([api('/console/api/recordings'), api('/console/api/faults')]);
  const table = h('table', { id: 'recordings' },
    h('thead', {}, h('tr', {}, ['Execution', 'Status', 'Meeting', 'Started (simulated)', 'Duration', 'End reason or error'].map((t) => h('th', {}, t)))),
    h('tbody', {}, rows.length === 0
      ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No executions yet: start one (npm start, the API, or aws stepfunctions start-execution).'))
      : rows.map((r) => h('tr', { 'data-arn': r.executionArn, 'data-status': r.status },
        h('td', {}, h('a', { href: `#/recording/${encodeURIComponent(r.executionArn)}` }, r.name)),
        h('td', {}, badge(r.status)),
        h('td', { class: 'mono' }, r.meetingId ?? ''),
        h('td', { class: 'mono' }, stamp(r.startDate)),
        h('td', {}, duration((r.stopDate ?? now) - r.startDate) + (r.stopDate ? '' : ' so far')),
        h('td', {}, r.error ? h('span', { class: 'error' }, r.error) : (r.endReason ?? ''))))));
  return [h('h1', {}, 'Recordings'), h('section', { class: 'card' }, table), h('h2', {}, 'Faults and behaviours'), faultsCard(faults)];
}

function faultsCard(f) {
  const item = (text, cls) => h('li', { class: cls }, text);
  // JSON has no Infinity: a fault for every call arrives with remaining null.
  const pending = (fault) => fault.remaining === null || fault.remaining > 0;
  const calls = f.calls.length === 0 ? [item('none')] : f.calls.map((c) =>
    item(`${c.operation}: ${c.error ?? 'no error'}${c.latencyMs ? ` after ${c.latencyMs} ms` : ''}, ${c.remaining === null ? 'every call' : `${c.remaining} call(s) left`}, ${c.hits} answered${c.narrowed ? ' (some calls only)' : ''}`, pending(c) ? 'changed' : undefined));
  const events = f.events.length === 0 ? [item('none')] : f.events.map((e) =>
    item(`${e.eventType}: ${e.action}${e.times ? ` ×${e.times}` : ''}${e.delayMs ? ` by ${e.delayMs} ms` : ''}, ${e.remaining === null ? 'every event' : `${e.remaining} left`}${e.narrowed ? ' (some events only)' : ''}`, pending(e) ? 'changed' : undefined));
  const limits = f.rateLimits.length === 0 ? [item('none')] : f.rateLimits.map((l) => item(`${l.service}: ${l.rate}/s, bursts of ${l.burst}, then ${l.error}`));
  const behaviours = f.behaviours.map((b) => h('li', { class: b.isDefault ? undefined : 'changed', title: b.question }, `${b.name} = ${b.variant}`, h('span', { class: 'muted' }, ` (${b.isDefault ? 'default' : 'set'}): ${b.means}`)));
  return h('section', { class: 'card faults', id: 'faults' },
    h('div', {}, h('h2', {}, 'Injected call faults'), h('ul', {}, calls)),
    h('div', {}, h('h2', {}, 'Injected event faults'), h('ul', {}, events)),
    h('div', {}, h('h2', {}, 'Rate limits'), h('ul', {}, limits)),
    h('div', {}, h('h2', {}, 'Where AWS does not document: behaviours'), h('ul', {}, behaviours)));
}

// ---- One recording ---------------------------------------------------------------------------------

async function recordingPage(arn) {
  const q = `arn=${encodeURIComponent(arn)}`;
  const [rec, files, calls, events] = await Promise.all([
    api(`/console/api/recording?${q}`), api(`/console/api/files?${q}`), api(`/console/api/calls?${q}`), api(`/console/api/events?${q}`),
  ]);
  const e = rec.execution;
  return [
    h('p', {}, h('a', { href: '#/' }, '← Recordings')),
    h('h1', {}, e.name, ' ', badge(e.status)),
    h('p', { class: 'muted mono' }, e.executionArn),
    h('div', { class: 'layout' },
      h('section', { class: 'card' }, h('h2', {}, rec.stateMachine.name), h('div', { id: 'graph' }, graph(rec.graph, rec.marks)), legend()),
      h('div', {},
        h('section', { class: 'card' }, h('h2', {}, 'Summary'), summary(e, rec.now)),
        h('section', { class: 'card' }, h('h2', {}, 'Files'), filesCard(files)),
        h('section', { class: 'card' }, h('h2', {}, 'Input'), h('pre', { id: 'input' }, pretty(e.input)), h('h2', {}, 'Output'), h('pre', { id: 'output' }, pretty(e.output) || (e.error ? `${e.error}: ${e.cause ?? ''}` : '(running)'))))),
    h('section', { class: 'card' }, h('h2', {}, `AWS calls the workflow made (${calls.length}): its tasks, and its event handlers`), callsTable(calls, events)),
    h('section', { class: 'card' }, h('h2', {}, `EventBridge events (${events.length})`), eventsTable(events)),
    h('section', { class: 'card' }, h('h2', {}, `Execution events (${rec.events.length})`), historyTable(rec.events)),
  ];
}

/** `now`: the cloud's simulated time, which the execution's dates are on. */
function summary(e, now) {
  return h('table', {}, h('tbody', {},
    h('tr', {}, h('th', {}, 'Started'), h('td', { class: 'mono' }, stamp(e.startDate))),
    h('tr', {}, h('th', {}, 'Stopped'), h('td', { class: 'mono' }, stamp(e.stopDate))),
    h('tr', {}, h('th', {}, 'Duration'), h('td', {}, duration((e.stopDate ?? now) - e.startDate) + (e.stopDate ? '' : ' so far'))),
    e.error ? h('tr', {}, h('th', {}, 'Error'), h('td', {}, e.error, h('div', { class: 'muted' }, e.cause ?? ''))) : null));
}

const NODE_H = 34;

function graph(g, marks) {
  const layout = new dagre.graphlib.Graph({ multigraph: true });
  layout.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 34, edgesep: 12, marginx: 8, marginy: 8 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const n of g.nodes) layout.setNode(n.id, { width: Math.max(120, n.id.length * 7.4 + 28), height: NODE_H });
  g.edges.forEach((e, i) => layout.setEdge(e.from, e.to, { kind: e.kind }, `e${i}`));
  dagre.layout(layout);
  const { width, height } = layout.graph();
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'state machine' });
  svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8c959f' }))));
  const visited = (id) => (marks[id]?.entered ?? 0) > 0;
  for (const key of layout.edges()) {
    const edge = layout.edge(key);
    const d = edge.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const taken = visited(key.v) && visited(key.w);
    svg.append(s('g', { class: `edge ${edge.kind}${taken ? ' taken' : ''}` }, s('path', { d, 'marker-end': 'url(#arrow)' })));
  }
  for (const n of g.nodes) {
    const pos = layout.node(n.id);
    const m = marks[n.id] ?? {};
    const classes = ['node', n.type.toLowerCase()];
    if (m.entered) classes.push('entered');
    if (m.succeeded) classes.push('succeeded');
    if (m.retries) classes.push('retried');
    if (m.caught) classes.push('caught');
    if (m.failed) classes.push('failed');
    if (m.current) classes.push('current');
    if (m.final) classes.push('final');
    const notes = [m.entered > 1 ? `entered ${m.entered}×` : '', m.retries ? `${m.retries} retr${m.retries > 1 ? 'ies' : 'y'}` : '', m.caught ? 'caught' : '', m.current ? 'now' : '', m.final ? 'final' : ''].filter(Boolean).join(' · ');
    const title = [`${n.id} (${n.type})`, ...classes.slice(2), ...(m.errors?.length ? [`errors: ${m.errors.join(', ')}`] : [])].join('\n');
    const x = pos.x - pos.width / 2;
    const y = pos.y - pos.height / 2;
    svg.append(s('g', { class: classes.join(' '), 'data-state': n.id },
      s('title', {}, title),
      s('rect', { x, y, width: pos.width, height: pos.height, rx: 6 }),
      s('text', { x: pos.x, y: notes ? pos.y - 6 : pos.y }, n.id),
      notes ? s('text', { x: pos.x, y: pos.y + 9, class: 'note' }, notes) : ''));
  }
  return svg;
}

function legend() {
  return h('div', { class: 'legend' }, ['entered', 'succeeded', 'retried', 'caught', 'failed', 'current', 'final'].map((c) => h('span', { class: c }, c)));
}

/** `events`: the recording's EventBridge events, to name the event whose handler made a call. */
function callsTable(calls, events) {
  if (calls.length === 0) return h('p', { class: 'muted' }, 'No calls recorded for this execution.');
  const eventTypes = new Map(events.map(({ event }) => [event.id, event.detail?.eventType ?? event['detail-type']]));
  return h('table', { id: 'calls' },
    h('thead', {}, h('tr', {}, ['Simulated', 'Real', 'State or event', 'Function', 'Service', 'Operation', 'Status', 'Error'].map((t) => h('th', {}, t)))),
    h('tbody', {}, calls.map((c) => h('tr', { class: c.cause === 'injected-fault' ? 'injected' : c.cause === 'throttled' ? 'throttled' : c.status >= 400 ? 'failed-call' : undefined, 'data-operation': c.operation, 'data-status': c.status },
      h('td', { class: 'mono' }, stamp(c.at)),
      h('td', { class: 'mono' }, stamp(c.realAt)),
      h('td', {}, c.caller?.state ?? (c.caller?.eventId ? h('span', { class: 'muted' }, `event ${eventTypes.get(c.caller.eventId) ?? c.caller.eventId}`) : '')),
      h('td', {}, c.caller?.functionName ?? ''),
      h('td', {}, c.service),
      h('td', {}, c.operation),
      h('td', {}, String(c.status)),
      h('td', {}, c.error ?? '', c.cause ? [' ', badge(c.cause === 'injected-fault' ? 'injected fault' : 'throttled', c.cause)] : '', c.latencyMs ? ` +${c.latencyMs} ms` : '')))));
}

function eventsTable(events) {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No EventBridge events for this execution yet.');
  return h('table', { id: 'bus' },
    h('thead', {}, h('tr', {}, ['Time', 'Source', 'Detail type', 'Event', 'Delivered to'].map((t) => h('th', {}, t)))),
    h('tbody', {}, events.map(({ event, deliveries }) => h('tr', {},
      h('td', { class: 'mono' }, event.time),
      h('td', {}, event.source),
      h('td', {}, event['detail-type']),
      h('td', {}, event.detail?.eventType ?? event.detail?.status ?? ''),
      h('td', {}, deliveries.length === 0 ? h('span', { class: 'muted' }, 'no rule matched') : deliveries.map((d) => h('div', {}, `${d.rule}: ${d.ok ? 'ok' : `failed (${d.error ?? ''})`}${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}`)))))));
}

function historyTable(events) {
  const detail = (ev) => {
    const key = Object.keys(ev).find((k) => k.endsWith('EventDetails'));
    const d = key ? ev[key] : undefined;
    if (!d) return '';
    const parts = [d.name, d.error, d.cause, d.resource].filter(Boolean);
    return parts.join(' · ');
  };
  return h('table', { id: 'history' },
    h('thead', {}, h('tr', {}, ['#', 'Type', 'Detail', 'Simulated time', 'Real time'].map((t) => h('th', {}, t)))),
    h('tbody', {}, events.map((ev) => h('tr', { 'data-type': ev.type },
      h('td', {}, String(ev.id)),
      h('td', {}, ev.type),
      h('td', { class: 'mono' }, detail(ev)),
      h('td', { class: 'mono' }, stamp(ev.timestamp)),
      h('td', { class: 'mono' }, stamp(ev.realTime))))));
}

function filesCard(f) {
  const fileLink = (o) => h('a', { href: `/console/file/${encodeURIComponent(o.bucket)}/${o.key.split('/').map(encodeURIComponent).join('/')}`, download: o.key.split('/').pop(), class: 'download', 'data-key': o.key }, o.key);
  const listing = (title, l, id) => l
    ? [h('h2', {}, title), h('p', { class: 'muted mono' }, `s3://${l.bucket}/${l.prefix}${l.truncated ? ' (first page only)' : ''}`),
      l.objects.length === 0 ? h('p', { class: 'muted' }, 'empty') : h('table', { id }, h('tbody', {}, l.objects.map((o) => h('tr', {}, h('td', { class: 'mono' }, fileLink(o)), h('td', {}, `${o.size} bytes`)))))]
    : [];
  return h('div', {},
    f.artifacts.length ? [h('p', {}, 'The execution output names:'), h('ul', {}, f.artifacts.map((a) => h('li', { class: 'mono' }, a)))] : h('p', { class: 'muted' }, 'No files named in the output (yet).'),
    listing('Finished files', f.finished, 'finished'),
    f.manifest ? [h('h2', {}, 'Manifest (recording.json)'), h('pre', { id: 'manifest' }, JSON.stringify(f.manifest, null, 2))] : '',
    listing('Raw chunks', f.chunks, 'chunks'));
}

// ---- Routing and live updates -------------------------------------------------------------------------

let rendering = false;
let again = false;

async function render() {
  if (rendering) {
    again = true;
    return;
  }
  rendering = true;
  try {
    const hash = location.hash || '#/';
    const match = /^#\/recording\/(.+)$/.exec(hash);
    const content = match ? await recordingPage(decodeURIComponent(match[1])) : await recordingsPage();
    view.replaceChildren(...content.flat());
    document.body.dataset.page = match ? 'recording' : 'recordings';
  } catch (err) {
    view.replaceChildren(h('p', { class: 'error' }, String(err.message ?? err)));
  } finally {
    rendering = false;
    if (again) {
      again = false;
      render();
    }
  }
}

window.addEventListener('hashchange', () => render());
const updates = new EventSource('/console/api/updates');
updates.addEventListener('open', () => { live.textContent = 'live'; live.classList.add('on'); });
updates.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.classList.remove('on'); });
updates.addEventListener('change', () => render());
render();
