// The Sluice dashboard: the fleet, its apps, and one app live. Plain modules, no build step; charts by Chart.js.
// Everything it shows comes from the admin API of the node it is served by, which answers for the whole fleet.

const view = document.getElementById('view');
const POINTS = 180;
let stop = () => {};

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: 'same-origin', ...options });
  if (response.status === 401) {
    throw new SignInNeeded();
  }
  if (!response.ok) {
    throw new Error(`${path}: ${response.status}`);
  }
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

class SignInNeeded extends Error {}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const fmt = {
  ms: (v) => (v === null || v === undefined ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`),
  num: (v, digits = 1) => (v === null || v === undefined ? '–' : Number(v).toFixed(digits)),
  pct: (v) => (v === null || v === undefined ? '–' : `${(v * 100).toFixed(1)} %`),
  time: (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–'),
};

function table(columns, rows, onClick) {
  return el('table', {},
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { class: c.num ? 'num' : '' }, c.title)))),
    el('tbody', {}, rows.map((row) => el('tr', onClick ? { class: 'clickable', onclick: () => onClick(row) } : {},
      columns.map((c) => el('td', { class: c.num ? 'num' : '' }, c.value(row)))))));
}

// --- Sign-in --------------------------------------------------------------------------------------------------------

function showSignIn(message) {
  stop();
  const input = el('input', { type: 'password', id: 'token', placeholder: 'admin token', autocomplete: 'off' });
  const error = el('p', { class: 'bad' }, message || '');
  view.replaceChildren(el('section', {},
    el('h2', {}, 'Sign in'),
    el('p', { class: 'muted' }, 'The admin token is in the node\'s state folder (admin-token), or SLUICE_ADMIN_TOKEN.'),
    el('form', { class: 'sign-in', onsubmit: async (event) => {
      event.preventDefault();
      const answer = await fetch('/session', { method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: input.value }) });
      if (answer.ok) route(); else error.textContent = 'That is not the admin token.';
    } }, input, el('button', { type: 'submit', id: 'sign-in' }, 'Sign in')),
    error));
  input.focus();
}

document.getElementById('sign-out').addEventListener('click', async () => {
  await fetch('/session', { method: 'DELETE', credentials: 'same-origin' });
  showSignIn();
});

// --- The fleet and its apps ------------------------------------------------------------------------------------------

async function home() {
  const fleetSection = el('section', { id: 'fleet' }, el('h2', {}, 'Fleet'));
  const poolSection = el('section', { id: 'pools' }, el('h2', {}, 'Node pools'));
  const appSection = el('section', { id: 'apps' }, el('h2', {}, 'Apps'));
  view.replaceChildren(fleetSection, poolSection, appSection);

  async function refresh() {
    const since = Date.now() - 60_000;
    const [fleet, capacity, apps, recent, coldStarts] = await Promise.all([api('/v1/fleet'), api('/v1/capacity'),
      api('/v1/apps'), api(`/v1/requests?since=${since}&limit=1000&routed=true`), api('/v1/cold-starts')]);
    document.getElementById('fleet-name').textContent = `fleet ${fleet.name}`;
    const metrics = await Promise.all(apps.apps.map((app) =>
      api(`/v1/apps/${app.project}/${app.name}/metrics`).catch(() => null)));
    const deciding = {};
    metrics.forEach((m) => { if (m && m.decider) (deciding[m.decider] ||= []).push(`${m.project}/${m.name}`); });
    const loadByNode = {};
    metrics.forEach((m) => (m ? m.nodes : []).forEach((n) => {
      loadByNode[n.node] = (loadByNode[n.node] || 0) + (n.in_flight || 0);
    }));
    fleetSection.replaceChildren(el('h2', {}, 'Fleet'), table([
      { title: 'node', value: (n) => `${n.id}${n.local ? ' (this one)' : ''}` },
      { title: 'address', value: (n) => n.address },
      { title: 'in flight', num: true, value: (n) => loadByNode[n.id] || 0 },
      { title: 'decides for', value: (n) => (deciding[n.id] || []).join(', ') || '–' },
    ], fleet.members));

    const pools = capacity.pools || [];
    const waiting = capacity.waiting_for_capacity || [];
    poolSection.replaceChildren(el('h2', {}, 'Node pools'), pools.length === 0
      ? el('p', { class: 'muted' }, 'No pools published yet.')
      : table([
        { title: 'pool', value: (p) => `${p.name} (${p.pool})` },
        { title: 'nodes', num: true, value: (p) => `${p.nodes} / ${p.max_nodes}` },
        { title: 'GPUs used', num: true, value: (p) => p.gpus_used },
        { title: 'GPUs free', num: true, value: (p) => p.gpus_total - p.gpus_used },
      ], pools),
      waiting.length === 0 ? null : el('p', { class: 'muted' }, `Waiting for capacity: ${waiting
        .map((w) => `${w.app} ×${w.replicas} (${w.reason})`).join('; ')}`));

    const byApp = {};
    for (const record of recent.records) (byApp[`${record.project}/${record.app}`] ||= []).push(record);
    const rows = apps.apps.map((app, i) => ({ app, metrics: metrics[i], stats: stats(byApp[`${app.project}/${app.name}`] || [], 60) }));
    appSection.replaceChildren(el('h2', {}, 'Apps'), rows.length === 0 ? el('p', { class: 'muted' }, 'No apps deployed.')
      : table([
        { title: 'app', value: (r) => el('a', { href: `#/app/${r.app.project}/${r.app.name}`, class: 'app-link' }, `${r.app.project}/${r.app.name}`) },
        { title: 'state', value: (r) => r.app.state },
        { title: 'desired', num: true, value: (r) => r.metrics?.replicas?.desired ?? '–' },
        { title: 'ready', num: true, value: (r) => r.metrics?.replicas?.ready ?? '–' },
        { title: 'pending', num: true, value: (r) => r.metrics?.replicas?.pending ?? '–' },
        { title: 'req/s', num: true, value: (r) => fmt.num(r.stats.rate, 2) },
        { title: 'concurrency', num: true, value: (r) => r.metrics?.fleet?.in_flight ?? '–' },
        { title: 'p50', num: true, value: (r) => fmt.ms(r.stats.p50) },
        { title: 'p99', num: true, value: (r) => fmt.ms(r.stats.p99) },
        { title: 'errors', num: true, value: (r) => fmt.pct(r.stats.errorRate) },
        { title: 'cold starts (1 h)', num: true, value: (r) => coldStarts.apps[`${r.app.project}/${r.app.name}`] ?? 0 },
      ], rows));
  }
  return poll(refresh, 2000);
}

function stats(records, seconds) {
  const latencies = records.map((r) => r.latency_ms).sort((a, b) => a - b);
  const at = (q) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] : null);
  const errors = records.filter((r) => r.status >= 500 || r.status === 0).length;
  return { rate: records.length / seconds, p50: at(0.5), p99: at(0.99), errorRate: records.length ? errors / records.length : null };
}

function poll(refresh, millis) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    try {
      await refresh();
    } catch (error) {
      if (error instanceof SignInNeeded) { showSignIn(); return; }
      console.warn(error);
    }
    if (!stopped) timer = setTimeout(run, millis);
  };
  run();
  return () => { stopped = true; clearTimeout(timer); };
}

// --- One app, live ---------------------------------------------------------------------------------------------------

function lineChart(canvas, datasets, axes) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      elements: { point: { radius: 0 } },
      scales: { x: { ticks: { maxTicksLimit: 8 } }, ...axes },
      plugins: { legend: { labels: { boxWidth: 12 } } },
    },
  });
}

function push(chart, label, values) {
  chart.data.labels.push(label);
  chart.data.datasets.forEach((dataset, i) => dataset.data.push(values[i]));
  if (chart.data.labels.length > POINTS) {
    chart.data.labels.shift();
    chart.data.datasets.forEach((dataset) => dataset.data.shift());
  }
  chart.update('none');
}

async function appPage(project, name) {
  const key = `${project}/${name}`;
  const canvases = { replicas: el('canvas', { id: 'chart-replicas' }), queue: el('canvas', { id: 'chart-queue' }),
    requests: el('canvas', { id: 'chart-requests' }) };
  const summary = el('p', { id: 'summary', class: 'muted' }, 'Waiting for the first tick…');
  const decisions = el('div', { id: 'decisions' });
  const requests = el('div', { id: 'requests' });
  const logs = el('pre', { id: 'logs', class: 'logs' }, '');
  view.replaceChildren(
    el('section', {}, el('h2', {}, key), summary),
    el('div', { class: 'charts' },
      el('section', {}, el('h2', {}, 'Replicas against load'), el('div', { class: 'chart' }, canvases.replicas)),
      el('section', {}, el('h2', {}, 'Queue and in flight'), el('div', { class: 'chart' }, canvases.queue)),
      el('section', {}, el('h2', {}, 'Requests'), el('div', { class: 'chart' }, canvases.requests))),
    el('section', {}, el('h2', {}, 'Decisions'), decisions),
    el('section', {}, el('h2', {}, 'Recent requests'), requests),
    el('section', {}, el('h2', {}, 'Logs'), logs));

  const replicas = lineChart(canvases.replicas, [
    { label: 'desired', data: [], stepped: true, borderColor: '#2f6fde', yAxisID: 'y' },
    { label: 'ready', data: [], stepped: true, borderColor: '#2a9d5c', yAxisID: 'y' },
    { label: 'pending', data: [], stepped: true, borderColor: '#e0a030', yAxisID: 'y' },
    { label: 'observed concurrency', data: [], borderColor: '#8a4fd8', yAxisID: 'load' },
    { label: 'target × ready', data: [], borderColor: '#8a4fd8', borderDash: [4, 4], yAxisID: 'load' },
    { label: 'panic', data: [], stepped: true, fill: true, borderWidth: 0, backgroundColor: 'rgba(200,65,59,0.12)', yAxisID: 'panic' },
  ], { y: { beginAtZero: true, title: { display: true, text: 'replicas' }, ticks: { precision: 0 } },
    load: { beginAtZero: true, position: 'right', title: { display: true, text: 'concurrency' }, grid: { display: false } },
    panic: { display: false, min: 0, max: 1 } });
  const queue = lineChart(canvases.queue, [
    { label: 'held (queue depth)', data: [], borderColor: '#e0a030' },
    { label: 'in flight', data: [], borderColor: '#2f6fde' },
  ], { y: { beginAtZero: true, ticks: { precision: 0 } } });
  const traffic = lineChart(canvases.requests, [
    { label: 'requests/s', data: [], borderColor: '#2f6fde', yAxisID: 'y' },
    { label: 'p50 ms', data: [], borderColor: '#2a9d5c', yAxisID: 'ms' },
    { label: 'p99 ms', data: [], borderColor: '#c8413b', yAxisID: 'ms' },
  ], { y: { beginAtZero: true, title: { display: true, text: 'req/s' } },
    ms: { beginAtZero: true, position: 'right', title: { display: true, text: 'ms' }, grid: { display: false } } });

  const live = new EventSource(`/v1/apps/${project}/${name}/live`);
  live.addEventListener('tick', (event) => {
    const tick = JSON.parse(event.data);
    const s = tick.scaling || {};
    const observed = s.observed?.concurrency?.stable ?? null;
    const label = new Date(tick.at).toLocaleTimeString();
    push(replicas, label, [s.desired ?? null, s.ready ?? null, s.pending ?? null, observed,
      s.target_per_replica != null && s.ready != null ? s.target_per_replica * s.ready : null, s.panicking ? 1 : 0]);
    push(queue, label, [s.queue_depth ?? null, s.in_flight ?? null]);
    push(traffic, label, [tick.requests.rate, tick.requests.p50_ms, tick.requests.p99_ms]);
    summary.replaceChildren(
      `policy ${s.policy ?? '–'} · target ${fmt.num(s.target_per_replica)} per replica · `,
      `desired ${s.desired ?? '–'}, ready ${s.ready ?? '–'}, pending ${s.pending ?? '–'} · `,
      el('span', { class: s.panicking ? 'bad' : '' }, s.panicking ? 'panicking' : 'stable'),
      ` · decider ${s.decider ?? '–'}`);
    const history = (s.decisions || []).slice().reverse();
    decisions.replaceChildren(history.length === 0 ? el('p', { class: 'muted' }, 'Decisions show on the app\'s decider.')
      : table([
        { title: 'at', value: (d) => fmt.time(d.at) },
        { title: 'desired', num: true, value: (d) => d.desired },
        { title: 'ready', num: true, value: (d) => d.ready },
        { title: 'pending', num: true, value: (d) => d.pending },
        { title: 'queue', num: true, value: (d) => d.queue_depth },
        { title: 'panic', value: (d) => (d.panicking ? 'yes' : '') },
        { title: 'why', value: (d) => [d.reason, d.capacity].filter(Boolean).join('; ') },
      ], history.slice(0, 20)));
  });

  // Live logs: the app's replicas' lines on every node as they are printed (server-sent events), the last 500 kept.
  const lines = [];
  const logFeed = new EventSource(`/v1/apps/${project}/${name}/logs?follow=true&tail=60`);
  const showLine = (text) => {
    const atBottom = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
    lines.push(text);
    if (lines.length > 500) lines.shift();
    logs.textContent = lines.join('\n');
    if (atBottom) logs.scrollTop = logs.scrollHeight;
  };
  logFeed.onmessage = (event) => {
    const line = JSON.parse(event.data);
    showLine(`${line.time ?? ''} [${line.replica}] ${line.stream === 'stdout' ? '' : `${line.stream}: `}${line.text}`);
  };
  logFeed.addEventListener('dropped', (event) => showLine(`… ${JSON.parse(event.data).dropped} lines dropped`));

  const stopPolling = poll(async () => {
    const found = await api(`/v1/apps/${project}/${name}/requests?limit=25`);
    requests.replaceChildren(found.records.length === 0 ? el('p', { class: 'muted' }, 'No requests yet.') : table([
      { title: 'start', value: (r) => fmt.time(r.start) },
      { title: 'request id', value: (r) => r.request_id },
      { title: 'method', value: (r) => r.method },
      { title: 'path', value: (r) => r.path },
      { title: 'status', num: true, value: (r) => el('span', { class: r.status >= 500 || r.status === 0 ? 'bad' : '' }, r.status) },
      { title: 'latency', num: true, value: (r) => fmt.ms(r.latency_ms) },
      { title: 'held', num: true, value: (r) => fmt.ms(r.held_ms) },
      { title: 'replica', value: (r) => r.replica ?? r.error ?? '–' },
    ], found.records, showRequest));
  }, 2000);

  return () => { live.close(); logFeed.close(); stopPolling(); replicas.destroy(); queue.destroy(); traffic.destroy(); };
}

function showRequest(record) {
  const total = Math.max(record.latency_ms, 0.001);
  const part = (ms) => `${Math.max(0, (ms || 0) / total) * 100}%`;
  document.getElementById('detail-body').replaceChildren(
    el('h2', {}, `Request ${record.request_id}`),
    el('p', {}, `${record.method} ${record.path} → ${record.status}${record.error ? ` (${record.error})` : ''}`),
    el('div', { class: 'bar', title: 'held · to first byte · transfer' },
      el('span', { class: 'held', style: `width:${part(record.held_ms)}` }),
      el('span', { class: 'first', style: `width:${part(record.first_byte_ms)}` }),
      el('span', { class: 'transfer', style: `width:${part(record.transfer_ms)}` })),
    table([{ title: 'field', value: ([k]) => k }, { title: 'value', value: ([, v]) => (v === null ? '–' : String(v)) }],
      Object.entries({
        'request id': record.request_id, start: record.start, kind: record.kind, 'latency': fmt.ms(record.latency_ms),
        'held for a replica': fmt.ms(record.held_ms), 'to the first byte': fmt.ms(record.first_byte_ms),
        transfer: fmt.ms(record.transfer_ms), replica: record.replica, node: record.node,
        'bytes in': record.bytes_in, 'bytes out': record.bytes_out, caller: record.caller, run: record.run_id,
        error: record.error, traceparent: record.traceparent,
      })),
    record.payload ? [payloadPart('Request', record.payload.request), payloadPart('Answer', record.payload.response)]
      : el('p', { class: 'muted' }, 'Bodies are not kept for this app (its config can turn payload capture on).'));
  document.getElementById('detail').showModal();
}

function payloadPart(title, part) {
  if (!part) return null;
  const body = part.binary ? el('p', { class: 'muted' }, `binary body, ${part.body_bytes} bytes`)
    : el('pre', { class: 'logs' }, part.body + (part.truncated ? `\n… (${part.body_bytes} bytes in all)` : ''));
  return el('div', { class: 'payload' }, el('h2', {}, title),
    table([{ title: 'header', value: ([k]) => k }, { title: 'value', value: ([, v]) => v }],
      Object.entries(part.headers || {})), body);
}

// --- Routing -----------------------------------------------------------------------------------------------------------

async function route() {
  stop();
  document.getElementById('sign-out').hidden = false;
  const match = location.hash.match(/^#\/app\/([^/]+)\/([^/]+)$/);
  try {
    await api('/v1/fleet');
    stop = match ? await appPage(decodeURIComponent(match[1]), decodeURIComponent(match[2])) : await home();
  } catch (error) {
    if (error instanceof SignInNeeded) showSignIn(); else view.replaceChildren(el('p', { class: 'bad' }, error.message));
  }
}

window.addEventListener('hashchange', route);
route();
