// Vigil dashboard: polls /api/v1/masters for the topology, listens to /api/v1/events (SSE) for events and
// failover records, draws each failover's phases as they happen. No build step, no external assets.
'use strict';
(function () {
  const token = new URLSearchParams(location.search).get('token');
  const q = (p) => (token ? p + (p.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : p);
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const failovers = new Map();
  const PHASES = ['detection', 'odown', 'election', 'promotion', 'reconfiguration'];
  const COLORS = { detection: '#8e9aaf', odown: '#e0a100', election: '#5b8def', promotion: '#d9534f', reconfiguration: '#2e9e5b' };

  function statusClass(s) { return s === 'ok' ? 'ok' : 'bad'; }

  function renderMasters(masters) {
    if (!Array.isArray(masters)) { $('masters').textContent = 'No sentinel answers.'; return; }
    $('masters').innerHTML = masters.map((m) => {
      const reps = m.replicas.map((r) => `<tr data-replica="${esc(r.address)}"><td>${esc(r.address)}</td>` +
        `<td class="${r.flags.includes('down') || r.flags.includes('disconnected') ? 'bad' : 'ok'}">${esc(r.flags)}</td>` +
        `<td>${esc(r.linkStatus)}</td><td>${r.lagBytes === null ? '?' : esc(r.lagBytes) + ' B'}</td>` +
        `<td>${esc(r.priority)}</td><td class="${r.eligible ? 'ok' : 'warn'}">${r.eligible ? 'eligible' : esc(r.reasons.join('; '))}</td></tr>`).join('');
      const sents = m.sentinels.map((s) => `<tr><td>${esc(s.self ? 'this sentinel' : s.address)}</td>` +
        `<td>${esc((s.runId || '?').slice(0, 8))}</td><td class="${s.flags.includes('down') ? 'bad' : 'ok'}">${esc(s.flags)}</td>` +
        `<td class="${s.masterDown ? 'bad' : 'ok'}">${s.masterDown ? 'master down' : 'master ok'}</td>` +
        `<td>${s.votedLeader ? esc(String(s.votedLeader).slice(0, 8)) + ' @ ' + esc(s.votedLeaderEpoch) : '–'}</td></tr>`).join('');
      const why = m.explain.failoverPossible ? (m.failoverState !== 'none' ? 'failover running: ' + esc(m.failoverState) : 'a failover would start now')
        : 'no failover: ' + m.explain.why.map(esc).join('; ');
      return `<div class="mastercard" data-master="${esc(m.name)}">` +
        `<h3>${esc(m.name)}: <span id="master-addr" class="master ${statusClass(m.status)}">${esc(m.address)}</span> ` +
        `<span class="${statusClass(m.status)}">${esc(m.status)}</span> <span class="muted">epoch ${esc(m.configEpoch)}, quorum ${esc(m.quorum)}${m.fenced ? ', FENCED' : ''}</span></h3>` +
        `<p class="why muted" id="explain">${why}</p>` +
        `<table><thead><tr><th>replica</th><th>flags</th><th>link</th><th>lag</th><th>priority</th><th>promotable</th></tr></thead><tbody>${reps}</tbody></table>` +
        `<table><thead><tr><th>sentinel</th><th>id</th><th>flags</th><th>its view</th><th>vote</th></tr></thead><tbody>${sents}</tbody></table></div>`;
    }).join('');
  }

  function renderTimeline() {
    const list = [...failovers.values()].sort((a, b) => a.startedAt - b.startedAt).slice(-5);
    if (list.length === 0) return;
    const W = 760, row = 26, now = Date.now();
    $('timeline').innerHTML = list.map((f) => {
      const phases = f.phases.slice().sort((a, b) => PHASES.indexOf(a.name) - PHASES.indexOf(b.name));
      const t0 = Math.min(f.startedAt, ...phases.map((p) => p.start));
      const t1 = Math.max(f.endedAt || now, ...phases.map((p) => p.end || now));
      const span = Math.max(1, t1 - t0);
      const bars = phases.map((p, i) => {
        const x = 110 + ((p.start - t0) / span) * (W - 220);
        const w = Math.max(2, (((p.end || now) - p.start) / span) * (W - 220));
        const y = 4 + i * row;
        return `<g data-phase="${esc(p.name)}"><text x="0" y="${y + 14}">${esc(p.name)}</text>` +
          `<rect x="${x}" y="${y}" width="${w}" height="${row - 8}" fill="${COLORS[p.name] || '#999'}" rx="3"></rect>` +
          `<text x="${x + w + 4}" y="${y + 14}">${p.end ? (p.end - p.start) + ' ms' : 'running…'}</text></g>`;
      }).join('');
      const h = Math.max(1, phases.length) * row + 8;
      const cls = f.result === 'succeeded' ? 'ok' : f.result === 'aborted' ? 'bad' : 'warn';
      return `<div class="failover" data-failover="${esc(f.id)}" data-result="${esc(f.result)}"><h3>${esc(f.master)} epoch ${esc(f.epoch)}: ` +
        `${esc(f.from || '?')} → ${esc(f.to || '?')} <span class="${cls}">${esc(f.result)}${f.reason ? ' (' + esc(f.reason) + ')' : ''}</span>` +
        `${f.endedAt ? ' <span class="muted">' + (f.endedAt - f.startedAt) + ' ms</span>' : ''}</h3>` +
        `<svg width="${W}" height="${h}" role="img" aria-label="failover phases">${bars}</svg></div>`;
    }).join('');
  }

  function addFailover(f) {
    const had = failovers.get(f.id);
    if (had && had.leader && !f.leader) return;
    failovers.set(f.id, f);
    renderTimeline();
  }

  function addEvent(e) {
    const li = document.createElement('li');
    li.textContent = new Date(e.at).toISOString().slice(11, 23) + ' ' + e.type + ' ' + e.payload;
    li.className = e.type.startsWith('-') ? 'muted' : '';
    const ol = $('events');
    ol.insertBefore(li, ol.firstChild);
    while (ol.children.length > 200) ol.removeChild(ol.lastChild);
  }

  async function poll() {
    try {
      const r = await fetch(q('api/v1/masters'), { cache: 'no-store' });
      renderMasters(await r.json());
    } catch (e) {
      $('masters').textContent = 'unreachable: ' + e;
    }
  }

  async function loadFailovers() {
    try {
      const r = await fetch(q('api/v1/failovers'), { cache: 'no-store' });
      const list = await r.json();
      if (Array.isArray(list)) list.forEach(addFailover);
    } catch (e) { /* next SSE event brings them */ }
  }

  const es = new EventSource(q('api/v1/events'));
  es.onopen = () => { $('conn').textContent = 'live'; $('conn').className = 'ok'; };
  es.onerror = () => { $('conn').textContent = 'reconnecting…'; $('conn').className = 'bad'; };
  es.addEventListener('sentinel', (m) => {
    const e = JSON.parse(m.data);
    addEvent(e);
    if (/switch-master|failover|promoted|odown|sdown/.test(e.type)) poll();
  });
  es.addEventListener('failover', (m) => addFailover(JSON.parse(m.data)));
  poll();
  loadFailovers();
  setInterval(poll, 1000);
  setInterval(() => { if ([...failovers.values()].some((f) => f.result === 'running')) renderTimeline(); }, 250);
})();
