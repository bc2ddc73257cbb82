// The kproxy console: a small single-page app over the documented admin API (see /docs).
import { h, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const TOKEN_KEY = 'kproxy.token';
const ACTOR_KEY = 'kproxy.actor';
// The token lives in this tab's sessionStorage: it survives a reload but not closing the tab, and
// other tabs and later visits do not find it (README, "Web console"). Earlier versions kept it
// in localStorage, where it stayed for good: remove that copy.
localStorage.removeItem(TOKEN_KEY);
let token = sessionStorage.getItem(TOKEN_KEY) || '';
// Who is behind the token, recorded with every change in the audit log (X-Kproxy-Actor).
let actor = localStorage.getItem(ACTOR_KEY) || '';

const messagesOf = (data) => (data && data.message ? (Array.isArray(data.message) ? data.message : [String(data.message)]) : []);

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (actor) headers['x-kproxy-actor'] = actor;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!res.ok) {
    const err = new Error(messagesOf(data).join('; ') || `HTTP ${res.status}`);
    err.status = res.status;
    err.messages = messagesOf(data);
    throw err;
  }
  return data;
}

/** operator (everything), requester (tickets, read-only subscriptions) or anonymous (needs a token). */
async function detectRole() {
  try {
    await api('GET', '/api/instances');
    return 'operator';
  } catch (err) {
    if (err.status === 403) return 'requester';
    if (err.status === 401) return 'anonymous';
    throw err;
  }
}

function useRoute() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const onChange = () => setHash(location.hash || '#/');
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

/** Runs `load` now and every `ms` until the component goes away; errors go to `onError`. */
function usePoll(load, ms, deps, onError) {
  useEffect(() => {
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        await load();
      } catch (err) {
        onError(err);
      }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, deps);
}

const Banner = ({ error, ok }) =>
  error ? html`<div class="banner bad" role="alert">${error}</div>` : ok ? html`<div class="banner good" role="status">${ok}</div>` : null;

function App() {
  const [role, setRole] = useState(null);
  const [error, setError] = useState('');
  const route = useRoute();
  const refresh = async () => {
    try {
      setRole(await detectRole());
      setError('');
    } catch (err) {
      setError(err.message);
    }
  };
  useEffect(() => void refresh(), []);
  if (role === null) return html`<main>${error ? html`<${Banner} error=${error} />` : 'Loading…'}</main>`;
  if (role === 'anonymous') return html`<${Login} onDone=${refresh} />`;
  const nav = [['#/', 'Subscriptions'], ['#/tickets', 'Tickets'], ...(role === 'operator' ? [['#/dead-letters', 'Dead letters'], ['#/instances', 'Instances'], ['#/audit', 'Audit']] : [])];
  const detail = /^#\/subscriptions\/(\d+)/.exec(route);
  let page;
  if (detail) page = html`<${SubscriptionDetail} id=${Number(detail[1])} role=${role} />`;
  else if (route.startsWith('#/tickets')) page = html`<${Tickets} role=${role} />`;
  else if (route.startsWith('#/dead-letters') && role === 'operator') page = html`<${DeadLetters} />`;
  else if (route.startsWith('#/instances') && role === 'operator') page = html`<${Instances} />`;
  else if (route.startsWith('#/audit') && role === 'operator') page = html`<${Audit} route=${route} />`;
  else page = html`<${Subscriptions} role=${role} />`;
  const signOut = (e) => {
    e.preventDefault();
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(ACTOR_KEY);
    token = '';
    actor = '';
    refresh();
  };
  return html`<header>
      <b>kproxy</b>
      <nav>${nav.map(([href, label]) => html`<a href=${href} class=${(href === '#/' ? route === '#/' : route.startsWith(href)) ? 'on' : ''}>${label}</a>`)}</nav>
      <span class="who">signed in as <span data-testid="role">${role}</span>${token ? html` · <a href="#" onClick=${signOut}>sign out</a>` : ''}</span>
    </header>
    <main>${page}</main>`;
}

function Login({ onDone }) {
  const [value, setValue] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const submit = async (e) => {
    e.preventDefault();
    token = value.trim();
    actor = name.trim();
    if (actor && !/^[\x20-\x7e]{1,128}$/.test(actor)) return setError('Your name must be 1-128 plain characters.');
    sessionStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(ACTOR_KEY, actor);
    try {
      if ((await detectRole()) === 'anonymous') setError('That token is not accepted.');
      else onDone();
    } catch (err) {
      setError(err.message);
    }
  };
  return html`<main><div class="card" style="max-width:28rem">
    <h2>Sign in</h2>
    <p class="muted">Paste the operator token (ADMIN_TOKEN) or the requester token (REQUESTER_TOKEN).</p>
    <form onSubmit=${submit}>
      <label><span>Token</span><input name="token" type="password" autocomplete="off" value=${value} onInput=${(e) => setValue(e.target.value)} /></label>
      <label><span>Your name (optional, recorded with your changes in the audit log)</span><input name="actor" autocomplete="username" value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      ${error && html`<div class="err">${error}</div>`}
      <button class="primary" type="submit">Sign in</button>
    </form></div></main>`;
}

/** The worst circuit state any instance reports: open, then half-open, else closed ('–' when none runs). */
function circuitSummary(status) {
  const states = status.instances.filter((i) => i.endpoint).map((i) => i.endpoint.circuit.state);
  if (!states.length) return '–';
  return states.includes('open') ? html`<span class="err">open</span>` : states.includes('half_open') ? html`<span class="err">half-open</span>` : 'closed';
}

const totalLag = (status) => status.partitions.reduce((sum, p) => sum + (typeof p.lag === 'number' ? p.lag : 0), 0);

function Subscriptions({ role }) {
  const [subs, setSubs] = useState(null);
  const [statuses, setStatuses] = useState({});
  const [error, setError] = useState('');
  const previous = useRef(new Map());
  // The list shows at once; each status fills in when it answers, so one slow cluster holds up only its row.
  const load = async () => {
    const list = await api('GET', '/api/subscriptions');
    setSubs(list);
    setError('');
    for (const s of list) {
      // Another team's subscription: a requester sees only its summary, not its status.
      if (s.view === 'summary') continue;
      api('GET', `/api/subscriptions/${s.id}/status`).then(
        (status) => {
          const now = Date.now();
          const before = previous.current.get(s.id);
          const rate = before && now > before.at ? Math.max(0, (status.counters.delivered - before.delivered) / ((now - before.at) / 1000)) : null;
          previous.current.set(s.id, { delivered: status.counters.delivered, at: now });
          setStatuses((all) => ({ ...all, [s.id]: { status, rate } }));
        },
        () => undefined,
      );
    }
  };
  usePoll(load, 2000, [], (err) => setError(err.message));
  const act = async (id, verb) => {
    try {
      await api('POST', `/api/subscriptions/${id}/${verb}`);
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  if (subs === null) return html`<h2>Subscriptions</h2><${Banner} error=${error} />Loading…`;
  return html`<h2>Subscriptions</h2><${Banner} error=${error} />
    <table data-testid="subscriptions">
      <thead><tr><th>name</th><th>topic</th><th>state</th><th>instances</th><th>endpoint</th><th>delivered/s</th><th>lag</th><th>dead-lettered</th><th></th></tr></thead>
      <tbody>${subs.map((s) => {
        const { status, rate } = statuses[s.id] || { status: null, rate: null };
        if (s.view === 'summary') {
          return html`<tr data-name=${s.name}><td>${s.name}</td><td>${s.kafka.topic}</td><td class=${`state-${s.status}`}>${s.status}</td>
            <td colspan="6" class="muted">team ${s.owner || 'operators'}: only its owner sees the details</td></tr>`;
        }
        return html`<tr data-name=${s.name}>
          <td><a href=${`#/subscriptions/${s.id}`}>${s.name}</a></td>
          <td>${s.kafka.topic}</td>
          <td class=${`state-${s.status}`} data-testid="state">${s.status}${s.configErrors ? html` <span class="err">invalid config</span>` : ''}</td>
          <td>${status ? status.instances.filter((i) => i.state === 'running').length : '…'}</td>
          <td data-testid="circuit">${status ? circuitSummary(status) : '…'}</td>
          <td>${rate === null ? '…' : rate.toFixed(1)}</td>
          <td>${status ? totalLag(status) : '…'}</td>
          <td>${status ? status.counters.deadLettered : '…'}</td>
          <td>${role === 'operator'
            ? s.status === 'running'
              ? html`<button onClick=${() => act(s.id, 'stop')}>Stop</button>`
              : html`<button onClick=${() => act(s.id, 'start')}>Start</button>`
            : ''}</td>
        </tr>`;
      })}</tbody>
    </table>
    ${subs.length === 0 ? html`<p class="muted">No subscriptions yet${role === 'requester' ? ': ask for one under Tickets' : ''}.</p>` : ''}`;
}

/** Delivered/s and failures/s (retries plus dead letters) over the last two minutes. */
function drawChart(canvas, samples) {
  if (!canvas) return;
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth * ratio;
  const height = canvas.clientHeight * ratio;
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, width, height);
  const max = Math.max(1, ...samples.map((s) => Math.max(s.delivered, s.errors)));
  const pad = 18 * ratio;
  ctx.font = `${11 * ratio}px system-ui`;
  ctx.fillStyle = '#6b7480';
  ctx.fillText(`${max.toFixed(1)}/s`, 4 * ratio, 12 * ratio);
  const line = (key, color) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * ratio;
    ctx.beginPath();
    samples.forEach((s, i) => {
      const x = pad + ((width - 2 * pad) * i) / Math.max(1, 59);
      const y = height - pad - ((height - 2 * pad) * s[key]) / max;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  line('delivered', '#2457c5');
  line('errors', '#b42318');
}

function SubscriptionDetail({ id, role }) {
  const [sub, setSub] = useState(null);
  const [status, setStatus] = useState(null);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [resetting, setResetting] = useState(false);
  const samples = useRef([]);
  const previous = useRef(null);
  const canvas = useRef(null);
  const load = async () => {
    const [s, st] = await Promise.all([api('GET', `/api/subscriptions/${id}`), api('GET', `/api/subscriptions/${id}/status`)]);
    const now = Date.now();
    const c = st.counters;
    const failures = c.retried + c.deadLettered;
    if (previous.current) {
      const seconds = (now - previous.current.at) / 1000;
      samples.current.push({
        delivered: Math.max(0, (c.delivered - previous.current.delivered) / seconds),
        errors: Math.max(0, (failures - previous.current.failures) / seconds),
      });
      if (samples.current.length > 60) samples.current.shift();
    }
    previous.current = { at: now, delivered: c.delivered, failures };
    setSub(s);
    setStatus(st);
    setError('');
    drawChart(canvas.current, samples.current);
  };
  usePoll(load, 2000, [id], (err) => setError(err.message));
  const act = async (verb) => {
    try {
      await api('POST', `/api/subscriptions/${id}/${verb}`);
      setOk(verb === 'stop' ? 'Stopped.' : 'Started.');
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  if (!sub || !status) return html`<${Banner} error=${error} />Loading…`;
  const last = samples.current[samples.current.length - 1];
  return html`<h2>${sub.name} <span class=${`state-${sub.status}`} data-testid="state">${sub.status}</span></h2>
    <${Banner} error=${error} ok=${ok} />
    <div class="row" style="margin-bottom:1rem">
      <a href="#/">← all subscriptions</a>
      ${role === 'operator'
        ? html`${sub.status === 'running' ? html`<button onClick=${() => act('stop')}>Stop</button>` : html`<button onClick=${() => act('start')}>Start</button>`}
            <button onClick=${() => setResetting(true)}>Reset offsets…</button>`
        : ''}
    </div>
    <div class="card">
      <h3 style="margin-top:0">Throughput</h3>
      <canvas ref=${canvas}></canvas>
      <div class="muted"><span style="color:#2457c5">■</span> delivered/s ${last ? last.delivered.toFixed(1) : '…'}
        · <span style="color:#b42318">■</span> retries + dead letters/s ${last ? last.errors.toFixed(1) : '…'}
        · totals: ${status.counters.delivered} delivered, ${status.counters.deadLettered} dead-lettered, ${status.counters.filtered} filtered</div>
    </div>
    <h3>Partitions</h3>
    <table data-testid="partitions"><thead><tr><th>partition</th><th>committed offset</th><th>high watermark</th><th>lag</th></tr></thead>
      <tbody>${status.partitions.map((p) => html`<tr><td>${p.partition}</td><td>${p.committedOffset ?? '–'}</td><td>${p.highWatermark ?? '–'}</td><td>${p.lag ?? '–'}</td></tr>`)}</tbody>
    </table>
    <h3>Instances</h3>
    <p data-testid="placement">placement: ${status.placement ? status.placement.reason : '–'}</p>
    <p>${status.instances.length ? status.instances.map((i) => `${i.instanceId} (${i.state}, partitions ${i.partitions.join(', ') || 'none'})`).join('; ') : html`<span class="muted">not running anywhere</span>`}</p>
    <h3>Endpoint</h3>
    <table data-testid="endpoint-health"><thead><tr><th>instance</th><th>circuit</th><th>open for</th><th>openings / probes</th><th>in-flight limit</th></tr></thead>
      <tbody>${status.instances.filter((i) => i.endpoint).map((i) => html`<tr data-instance=${i.instanceId}>
        <td>${i.instanceId}</td>
        <td data-testid="circuit" class=${i.endpoint.circuit.state === 'closed' ? '' : 'err'}>${i.endpoint.circuit.enabled ? i.endpoint.circuit.state.replace('_', '-') : 'off'}${i.endpoint.circuit.holdUntil ? ` (Retry-After until ${i.endpoint.circuit.holdUntil})` : ''}</td>
        <td>${i.endpoint.circuit.state === 'closed' ? '–' : `${Math.round(i.endpoint.circuit.openForMs / 1000)} s, next probe ${i.endpoint.circuit.nextProbeAt ?? 'now'}`}</td>
        <td>${i.endpoint.circuit.opens} / ${i.endpoint.circuit.probes}</td>
        <td data-testid="inflight-limit">${i.endpoint.inFlightLimit} of ${i.endpoint.maxInFlight}${i.endpoint.adaptive ? ' (adaptive)' : ''}</td>
      </tr>`)}</tbody>
    </table>
    <h3>Configuration <span class="muted">(secrets masked)</span></h3>
    <pre data-testid="config">${JSON.stringify(sub, null, 2)}</pre>
    ${resetting &&
    html`<${ResetDialog}
      sub=${sub}
      partitions=${status.partitions}
      onClose=${() => setResetting(false)}
      onDone=${(text) => {
        setResetting(false);
        setOk(text);
        load();
      }}
    />`}`;
}

function ResetDialog({ sub, partitions, onClose, onDone }) {
  const [to, setTo] = useState('earliest');
  const [when, setWhen] = useState('');
  const [offsets, setOffsets] = useState(partitions.map((p) => `${p.partition}:${p.committedOffset ?? 0}`).join('\n'));
  const [confirming, setConfirming] = useState(false);
  const [errors, setErrors] = useState([]);
  const body = () => {
    if (to === 'timestamp') {
      const ms = Date.parse(when);
      if (!when || Number.isNaN(ms)) throw ['timestamp: pick a date and time'];
      return { to, timestamp: ms, restart: true };
    }
    if (to === 'offsets') {
      const list = [];
      const bad = [];
      offsets
        .split('\n')
        .map((l) => l.trim())
        .forEach((l, i) => {
          if (!l) return;
          const m = /^(\d+)\s*:\s*(\d+)$/.exec(l);
          if (m) list.push({ partition: Number(m[1]), offset: Number(m[2]) });
          else bad.push(`line ${i + 1}: write partition:offset, e.g. 0:1200`);
        });
      if (bad.length) throw bad;
      if (!list.length) throw ['offsets: name at least one partition'];
      return { to, offsets: list, restart: true };
    }
    return { to, restart: true };
  };
  const describe = () => (to === 'timestamp' ? `the first records at or after ${new Date(Date.parse(when)).toLocaleString()}` : to === 'offsets' ? 'the offsets listed' : `the ${to} offsets`);
  const review = () => {
    try {
      body();
      setErrors([]);
      setConfirming(true);
    } catch (e) {
      setErrors(Array.isArray(e) ? e : [String(e)]);
    }
  };
  const apply = async () => {
    try {
      await api('POST', `/api/subscriptions/${sub.id}/offsets/reset`, body());
      onDone(`Offsets reset to ${describe()}.`);
    } catch (err) {
      setErrors(err.messages && err.messages.length ? err.messages : [err.message]);
      setConfirming(false);
    }
  };
  return html`<div class="dialog" role="dialog" aria-label="Reset offsets"><div>
    <h3 style="margin-top:0">Reset offsets of ${sub.name}</h3>
    ${confirming
      ? html`<p data-testid="confirm-text">Consumption stops, the group moves to ${describe()}, and consumption starts again. Records after that point are delivered again. Continue?</p>
          <div class="row"><button class="danger" onClick=${apply}>Yes, reset</button><button onClick=${() => setConfirming(false)}>Back</button></div>`
      : html`<label><span>Move to</span>
            <select name="to" value=${to} onChange=${(e) => setTo(e.target.value)}>
              <option value="earliest">earliest (replay everything kept)</option>
              <option value="latest">latest (skip the backlog)</option>
              <option value="timestamp">a point in time</option>
              <option value="offsets">explicit offsets</option>
            </select></label>
          ${to === 'timestamp' && html`<label><span>Time</span><input name="timestamp" type="datetime-local" step="1" value=${when} onInput=${(e) => setWhen(e.target.value)} /></label>`}
          ${to === 'offsets' && html`<label><span>One partition:offset per line</span><textarea name="offsets" rows="5" value=${offsets} onInput=${(e) => setOffsets(e.target.value)}></textarea></label>`}
          ${errors.map((e) => html`<div class="err">${e}</div>`)}
          <div class="row" style="margin-top:.6rem"><button class="primary" onClick=${review}>Review</button><button onClick=${onClose}>Cancel</button></div>`}
  </div></div>`;
}

const TICKET_FIELDS = {
  name: 'name',
  'kafka.brokers': 'brokers',
  'kafka.topic': 'topic',
  'endpoint.url': 'url',
  'delivery.ordering': 'ordering',
  requester: 'requester',
  reason: 'reason',
};

/** The page's own checks, so most mistakes are named before the API sees them. */
function checkTicket(f) {
  const e = {};
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(f.name)) e.name = 'letters, digits, ".", "_" or "-", starting with a letter or digit';
  if (!f.brokers.split(',').every((b) => /^[^\s:]+:\d{1,5}$/.test(b.trim()))) e.brokers = 'a comma-separated list of host:port';
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(f.topic)) e.topic = 'a Kafka topic name';
  try {
    if (!/^https?:$/.test(new URL(f.url).protocol)) e.url = 'an http or https URL';
  } catch {
    e.url = 'an http or https URL';
  }
  if (!f.requester.trim()) e.requester = 'who is asking';
  if (!f.reason.trim()) e.reason = 'why the subscription is needed';
  return e;
}

function Tickets({ role }) {
  const empty = { name: '', brokers: '', topic: '', url: '', ordering: 'partition', requester: '', reason: '', start: true };
  const [form, setForm] = useState(empty);
  const [fieldErrors, setFieldErrors] = useState({});
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const [tickets, setTickets] = useState([]);
  const [rejecting, setRejecting] = useState(null);
  const [rejectReason, setRejectReason] = useState('');
  const load = async () => setTickets(await api('GET', '/api/tickets?limit=200'));
  usePoll(load, 3000, [], (err) => setError(err.message));
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });
  const submit = async (e) => {
    e.preventDefault();
    setOk('');
    const local = checkTicket(form);
    setFieldErrors(local);
    if (Object.keys(local).length) return;
    try {
      const t = await api('POST', '/api/tickets', {
        name: form.name,
        kafka: { brokers: form.brokers, topic: form.topic },
        endpoint: { url: form.url },
        delivery: { ordering: form.ordering },
        status: form.start ? 'running' : 'stopped',
        requester: form.requester,
        reason: form.reason,
      });
      setOk(`Ticket #${t.id} submitted; it waits for an operator.`);
      setForm(empty);
      setError('');
      await load();
    } catch (err) {
      const byField = {};
      const rest = [];
      for (const m of err.messages || [err.message]) {
        const key = Object.keys(TICKET_FIELDS).find((k) => m.startsWith(`${k}:`) || m.startsWith(`${k}.`));
        if (key) byField[TICKET_FIELDS[key]] = m.slice(m.indexOf(':') + 1).trim();
        else rest.push(m);
      }
      setFieldErrors(byField);
      setError(rest.join('; '));
    }
  };
  const decide = async (id, verb, body) => {
    try {
      const t = await api('POST', `/api/tickets/${id}/${verb}`, body);
      setOk(verb === 'approve' ? `Ticket #${id} approved: subscription #${t.subscriptionId} created.` : `Ticket #${id} rejected.`);
      setError('');
      setRejecting(null);
      setRejectReason('');
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const field = (key, label, input) => html`<label data-field=${key}><span>${label}</span>${input}${fieldErrors[key] && html`<div class="err">${fieldErrors[key]}</div>`}</label>`;
  const pending = tickets.filter((t) => t.state === 'pending');
  const decided = tickets.filter((t) => t.state !== 'pending');
  return html`<h2>Tickets</h2><${Banner} error=${error} ok=${ok} />
    <div class="card">
      <h3 style="margin-top:0">Ask for a subscription</h3>
      <form onSubmit=${submit} noValidate data-testid="ticket-form">
        <div class="grid">
          ${field('name', 'Subscription name', html`<input name="name" value=${form.name} onInput=${set('name')} />`)}
          ${field('topic', 'Kafka topic', html`<input name="topic" value=${form.topic} onInput=${set('topic')} />`)}
          ${field('brokers', 'Kafka brokers (host:port, …)', html`<input name="brokers" value=${form.brokers} onInput=${set('brokers')} />`)}
          ${field('url', 'Your API endpoint URL', html`<input name="url" value=${form.url} onInput=${set('url')} />`)}
          ${field('ordering', 'Ordering', html`<select name="ordering" value=${form.ordering} onChange=${set('ordering')}><option>partition</option><option>key</option><option>unordered</option></select>`)}
          ${field('requester', 'Your name', html`<input name="requester" value=${form.requester} onInput=${set('requester')} />`)}
        </div>
        ${field('reason', 'Why', html`<textarea name="reason" rows="2" value=${form.reason} onInput=${set('reason')}></textarea>`)}
        <label class="row" style="width:auto"><input type="checkbox" style="width:auto" checked=${form.start} onChange=${set('start')} /> start consuming when approved</label>
        <button class="primary" type="submit">Submit ticket</button>
      </form>
    </div>
    <h3>Waiting for approval</h3>
    <table data-testid="pending-tickets"><thead><tr><th>#</th><th>name</th><th>topic</th><th>requester</th><th>reason</th><th></th></tr></thead>
      <tbody>${pending.map(
        (t) => html`<tr data-ticket=${t.id}>
          <td>${t.id}</td><td>${t.name}</td><td>${t.subscription.kafka && t.subscription.kafka.topic}</td><td>${t.requester}</td><td>${t.reason}</td>
          <td>${role === 'operator'
            ? rejecting === t.id
              ? html`<div class="row"><input name="reject-reason" placeholder="reason" value=${rejectReason} onInput=${(e) => setRejectReason(e.target.value)} />
                  <button class="danger" disabled=${!rejectReason.trim()} onClick=${() => decide(t.id, 'reject', { reason: rejectReason })}>Reject</button>
                  <button onClick=${() => setRejecting(null)}>Cancel</button></div>`
              : html`<div class="row"><button class="primary" onClick=${() => decide(t.id, 'approve', {})}>Approve</button><button onClick=${() => setRejecting(t.id)}>Reject…</button></div>`
            : html`<span class="muted">pending</span>`}</td>
        </tr>
        <tr data-ticket-spec=${t.id}><td colspan="6">
          ${t.review && t.review.length
            ? html`<ul class="plain review" data-testid="review-flags">${t.review.map((f) => html`<li><b>${f.field}</b>: ${f.concern}</li>`)}</ul>`
            : ''}
          <details open=${role === 'operator'}><summary>${t.effective ? 'the subscription approval creates, defaults filled in' : 'the requested subscription'}${t.team ? ` (team ${t.team})` : ''}</summary>
            <pre data-testid="ticket-spec">${JSON.stringify(t.effective || t.subscription, null, 2)}</pre></details>
        </td></tr>`,
      )}</tbody></table>
    ${pending.length === 0 ? html`<p class="muted">Nothing waiting.</p>` : ''}
    <h3>Decided</h3>
    <table><thead><tr><th>#</th><th>name</th><th>state</th><th>by</th><th>when</th><th>note</th></tr></thead>
      <tbody>${decided.map(
        (t) => html`<tr><td>${t.id}</td><td>${t.subscriptionId ? html`<a href=${`#/subscriptions/${t.subscriptionId}`}>${t.name}</a>` : t.name}</td>
          <td>${t.state}</td><td>${t.decidedBy}</td><td>${t.decidedAt && new Date(t.decidedAt).toLocaleString()}</td><td>${t.rejectionReason || ''}</td></tr>`,
      )}</tbody></table>`;
}

/** Bytes as a person reads them. */
const size = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

/**
 * Dead letters. The list (polled) holds excerpts; the selected one is read whole from
 * GET /api/dead-letters/:id, again only when it changed. "Redeliver all pending" starts a
 * background job and follows it until it ends, with a cancel button.
 */
function DeadLetters() {
  const [subs, setSubs] = useState([]);
  const [subscriptionId, setSubscriptionId] = useState('');
  const [state, setState] = useState('pending');
  const [rows, setRows] = useState([]);
  const [selectedId, setSelectedId] = useState(null);
  const [selected, setSelected] = useState(null);
  const [job, setJob] = useState(null);
  const [error, setError] = useState('');
  const [ok, setOk] = useState('');
  const load = async () => {
    setSubs(await api('GET', '/api/subscriptions'));
    const q = new URLSearchParams({ limit: '200' });
    if (subscriptionId) q.set('subscriptionId', subscriptionId);
    if (state) q.set('state', state);
    setRows(await api('GET', `/api/dead-letters?${q}`));
    setError('');
  };
  usePoll(load, 3000, [subscriptionId, state], (err) => setError(err.message));
  // The whole row of the selected one, read again when the list shows it changed.
  const listed = rows.find((r) => r.id === selectedId);
  const version = listed ? listed.updatedAt : '';
  useEffect(() => {
    if (selectedId === null) return setSelected(null);
    let current = true;
    api('GET', `/api/dead-letters/${selectedId}`).then((row) => current && setSelected(row), (err) => current && setError(err.message));
    return () => {
      current = false;
    };
  }, [selectedId, version]);
  // A running job is followed every second until it ends.
  const jobRunning = job && (job.state === 'queued' || job.state === 'running');
  usePoll(
    async () => {
      if (!jobRunning) return;
      const now = await api('GET', `/api/dead-letters/redeliver-jobs/${job.id}`);
      setJob(now);
      if (now.state !== 'queued' && now.state !== 'running') await load();
    },
    1000,
    [job && job.id, jobRunning],
    (err) => setError(err.message),
  );
  const run = async (fn) => {
    try {
      setOk(await fn());
      setError('');
      await load();
    } catch (err) {
      setError(err.message);
    }
  };
  const one = (verb) =>
    run(async () => {
      const row = await api('POST', `/api/dead-letters/${selected.id}/${verb}`);
      setSelected(row);
      return `Dead letter #${selected.id}: ${row.state}.`;
    });
  const redeliverAll = () =>
    run(async () => {
      if (!confirm('Redeliver the pending dead letters of this subscription (in the background; you can cancel)?')) return '';
      setJob(await api('POST', '/api/dead-letters/redeliver-jobs', { subscriptionId: Number(subscriptionId) }));
      return '';
    });
  const discardAll = () =>
    run(async () => {
      if (!confirm('Discard every pending dead letter of this subscription?')) return '';
      return `Discarded ${(await api('POST', '/api/dead-letters/discard', { subscriptionId: Number(subscriptionId) })).discarded ?? 0}.`;
    });
  const cancelJob = () => run(async () => (setJob(await api('POST', `/api/dead-letters/redeliver-jobs/${job.id}/cancel`)), 'Cancelling: the job stops before its next record.'));
  const cut = (field) => selected && selected.excerptedFields && selected.excerptedFields[field] !== undefined;
  return html`<h2>Dead letters</h2><${Banner} error=${error} ok=${ok} />
    <div class="row" style="margin-bottom:.8rem">
      <select name="subscription" style="width:auto" value=${subscriptionId} onChange=${(e) => setSubscriptionId(e.target.value)}>
        <option value="">all subscriptions</option>
        ${subs.map((s) => html`<option value=${String(s.id)}>${s.name}</option>`)}
      </select>
      <select name="state" style="width:auto" value=${state} onChange=${(e) => setState(e.target.value)}>
        <option value="pending">pending</option><option value="redelivered">redelivered</option><option value="discarded">discarded</option><option value="">any state</option>
      </select>
      ${subscriptionId && html`<button disabled=${jobRunning} onClick=${redeliverAll}>Redeliver all pending</button><button class="danger" onClick=${discardAll}>Discard all pending</button>`}
    </div>
    ${job &&
    html`<div class="card" data-testid="redelivery-job" style="margin-bottom:.8rem">
      <div class="row"><b>Re-delivery job</b> <span data-testid="job-state">${job.state}</span>
        <span>${job.done} of ${job.total} done: ${job.succeeded} redelivered, ${job.failed} failed, ${job.discarded} discarded${job.skipped ? `, ${job.skipped} skipped` : ''}</span>
        ${jobRunning && !job.cancelRequested && html`<button class="danger" onClick=${cancelJob}>Cancel</button>`}
        ${!jobRunning && html`<button onClick=${() => setJob(null)}>Dismiss</button>`}</div>
      ${job.total > 0 && html`<progress max=${job.total} value=${job.done} style="width:100%"></progress>`}
      ${job.more && !jobRunning && html`<p class="muted">More were pending than one job covers (${job.limit}); start another for the rest.</p>`}
      ${job.error && html`<p>${job.error}</p>`}
    </div>`}
    <table data-testid="dead-letters"><thead><tr><th>#</th><th>subscription</th><th>partition:offset</th><th>reason</th><th>attempts</th><th>last status</th><th>value</th><th>state</th><th>when</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class=${`clickable${selectedId === r.id ? ' selected' : ''}`} onClick=${() => setSelectedId(r.id)} data-dead-letter=${r.id}>
          <td>${r.id}</td><td>${(subs.find((s) => s.id === r.subscriptionId) || {}).name || r.subscriptionId}</td><td>${r.partition}:${r.offset}</td>
          <td>${r.reason}</td><td>${r.attempts}</td><td>${r.lastStatus ?? '–'}</td><td>${r.valueBytes === null ? '–' : size(r.valueBytes)}</td><td>${r.state}</td><td>${new Date(r.createdAt).toLocaleString()}</td></tr>`,
      )}</tbody></table>
    ${rows.length === 0 ? html`<p class="muted">None.</p>` : ''}
    ${selectedId !== null && !selected && html`<p class="muted">Loading #${selectedId}…</p>`}
    ${selected &&
    html`<div class="card" style="margin-top:1rem" data-testid="dead-letter-detail">
      <div class="row"><h3 style="margin:0">Dead letter #${selected.id}</h3>
        ${selected.state === 'pending' && html`<button class="primary" onClick=${() => one('redeliver')}>Redeliver</button><button class="danger" onClick=${() => one('discard')}>Discard</button>`}</div>
      <p><b>Error:</b> ${selected.lastError || '–'}</p>
      <div class="grid">
        <div><h3>Record value${selected.valueEncoding === 'base64' ? ' (base64)' : ''}${selected.valueBytes !== null ? ` · ${size(selected.valueBytes)}` : ''}${cut('value') ? ' · excerpt' : ''}</h3><pre>${selected.value ?? '(none)'}</pre></div>
        <div><h3>Last response</h3><pre>${selected.responseExcerpt ?? '(none)'}</pre></div>
      </div>
      ${selected.transformedBody && html`<h3>Body sent</h3><pre>${selected.transformedBody}</pre>`}
    </div>`}`;
}

/** The cluster as its heartbeats show it: every instance, whether it is live, and what it runs. */
function Instances() {
  const [instances, setInstances] = useState(null);
  const [names, setNames] = useState({});
  const [error, setError] = useState('');
  const load = async () => {
    const [list, subs] = await Promise.all([api('GET', '/api/instances'), api('GET', '/api/subscriptions')]);
    setInstances(list);
    setNames(Object.fromEntries(subs.map((s) => [s.id, s.name])));
    setError('');
  };
  usePoll(load, 2000, [], (err) => setError(err.message));
  if (instances === null) return html`<h2>Instances</h2><${Banner} error=${error} />Loading…`;
  const running = (i) =>
    i.running.length
      ? html`<ul class="plain">${i.running.map(
          (r) => html`<li data-subscription=${r.subscriptionId}>
            ${names[r.subscriptionId] ? html`<a href=${`#/subscriptions/${r.subscriptionId}`}>${names[r.subscriptionId]}</a>` : `#${r.subscriptionId}`} <span class=${`state-${r.state}`}>${r.state}</span> · partitions ${r.partitions.join(', ') || 'none'}</li>`,
        )}</ul>`
      : html`<span class="muted">nothing</span>`;
  return html`<h2>Instances</h2><${Banner} error=${error} />
    <table data-testid="instances">
      <thead><tr><th>instance</th><th>host</th><th>version</th><th>started</th><th>last seen</th><th>state</th><th>runs</th></tr></thead>
      <tbody>${instances.map(
        (i) => html`<tr data-instance=${i.instanceId}>
          <td>${i.instanceId}${i.self ? html` <span class="muted">(answering)</span>` : ''}</td><td>${i.host}</td><td>${i.version || '–'}</td>
          <td>${new Date(i.startedAt).toLocaleString()}</td><td>${new Date(i.lastSeenAt).toLocaleString()}</td>
          <td class=${i.live ? 'state-running' : i.state === 'stopped' ? 'state-stopped' : 'state-failed'} data-testid="live">${i.state ?? (i.live ? 'live' : 'dead')}</td>
          <td>${i.live || !i.running.length ? running(i) : html`<div class="muted stale">last reported (no longer counted):${running(i)}</div>`}</td>
        </tr>`,
      )}</tbody>
    </table>
    <p class="muted">Stopped: it shut down and said so. Dead: its heartbeat is older than INSTANCE_TIMEOUT_MS (a crash or a lost host). Either way it counts as running nothing.</p>`;
}

/** Changes made through the API: who, what, when, and the state before and after (secrets masked). */
function Audit({ route }) {
  const params = new URLSearchParams(route.split('?')[1] || '');
  const [resourceType, setResourceType] = useState(params.get('resourceType') || '');
  const [resourceId, setResourceId] = useState(params.get('resourceId') || '');
  const [rows, setRows] = useState(null);
  const [selected, setSelected] = useState(null);
  const [error, setError] = useState('');
  const load = async () => {
    const q = new URLSearchParams({ limit: '200' });
    if (resourceType) q.set('resourceType', resourceType);
    if (resourceType && /^\d+$/.test(resourceId)) q.set('resourceId', resourceId);
    setRows(await api('GET', `/api/audit?${q}`));
    setError('');
  };
  usePoll(load, 5000, [resourceType, resourceId], (err) => setError(err.message));
  const json = (v) => (v === null || v === undefined ? '(none)' : JSON.stringify(v, null, 2));
  return html`<h2>Audit log</h2><${Banner} error=${error} />
    <div class="row" style="margin-bottom:.8rem">
      <select name="resourceType" style="width:auto" value=${resourceType} onChange=${(e) => setResourceType(e.target.value)}>
        <option value="">everything</option><option value="subscription">subscriptions</option><option value="ticket">tickets</option><option value="dead_letter">dead letters</option>
      </select>
      ${resourceType && html`<input name="resourceId" style="width:8rem" placeholder="id" value=${resourceId} onInput=${(e) => setResourceId(e.target.value.trim())} />`}
    </div>
    ${rows === null
      ? 'Loading…'
      : html`<table data-testid="audit"><thead><tr><th>when</th><th>who</th><th>action</th><th>resource</th><th>from</th></tr></thead>
      <tbody>${rows.map(
        (r) => html`<tr class=${`clickable${selected && selected.id === r.id ? ' selected' : ''}`} onClick=${() => setSelected(r)} data-audit=${r.id}>
          <td>${new Date(r.at).toLocaleString()}</td><td>${r.actor || html`<span class="muted">${r.role}</span>`}${r.actor ? html` <span class="muted">(${r.role})</span>` : ''}</td>
          <td>${r.action}</td>
          <td>${r.resourceType === 'subscription' && r.resourceId ? html`<a href=${`#/subscriptions/${r.resourceId}`}>subscription #${r.resourceId}</a>` : `${r.resourceType.replace('_', ' ')} #${r.resourceId ?? '–'}`}</td>
          <td>${r.remote} <span class="muted">via ${r.instanceId}</span></td></tr>`,
      )}</tbody></table>
      ${rows.length === 0 ? html`<p class="muted">No changes recorded.</p>` : ''}`}
    ${selected &&
    html`<div class="card" style="margin-top:1rem" data-testid="audit-detail">
      <h3 style="margin-top:0">#${selected.id} ${selected.action}</h3>
      <div class="grid"><div><h3>Before</h3><pre>${json(selected.before)}</pre></div><div><h3>After</h3><pre>${json(selected.after)}</pre></div></div>
    </div>`}`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
