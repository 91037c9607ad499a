'use strict';
// Console (commands, history, background jobs), live events, log files; and
// the page's start.
(() => {
  const P = window.SaltgwPage;
  const { $, el, say } = P;

  // ---- console ---------------------------------------------------------------
  const HISTORY_KEY = 'saltgw.history';
  const JOBS_KEY = 'saltgw.jobs';
  let history = [];
  try { history = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]'); } catch (e) { history = []; }
  let recall = -1;

  function remember(cmd) {
    history = [cmd, ...history.filter((h) => h !== cmd)].slice(0, 50);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history));
    $('console-history').replaceChildren(...history.map((h) => el('option', { value: h })));
    recall = -1;
  }
  $('console-history').replaceChildren(...history.map((h) => el('option', { value: h })));

  $('console-cmd').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowUp' && e.key !== 'ArrowDown') return;
    if (!history.length) return;
    e.preventDefault();
    recall = e.key === 'ArrowUp' ? Math.min(history.length - 1, recall + 1) : Math.max(-1, recall - 1);
    e.target.value = recall >= 0 ? history[recall] : '';
  });

  let jobs = [];
  try { jobs = JSON.parse(sessionStorage.getItem(JOBS_KEY) || '[]'); } catch (e) { jobs = []; }
  const saveJobs = () => sessionStorage.setItem(JOBS_KEY, JSON.stringify(jobs.slice(0, 30)));

  // Updated in place (not redrawn), so that the focus of a keyboard user
  // stays on the button it is on while the jobs are polled.
  function renderJobs() {
    const list = $('jobs-list');
    const rows = new Map([...list.querySelectorAll('li[data-jid]')].map((li) => [li.dataset.jid, li]));
    list.querySelectorAll('li:not([data-jid])').forEach((li) => li.remove());
    jobs.forEach((j, i) => {
      let li = rows.get(j.jid);
      if (!li) {
        li = el('li', { 'data-jid': j.jid }, el('span', { class: 'name mono' }, j.command), el('span', { class: 'meta' }), el('span', { class: 'acts' }));
        list.insertBefore(li, list.children[i] || null);
      }
      rows.delete(j.jid);
      const meta = li.querySelector('.meta');
      meta.textContent = `${j.status}${j.note ? ' — ' + j.note : ''} · jid ${j.jid}`;
      meta.dataset.status = j.status;
      const acts = li.querySelector('.acts');
      const btn = acts.querySelector('button');
      if (j.status === 'running' && !btn) {
        acts.append(el('button', { type: 'button', class: 'small', 'aria-label': `Cancel job ${j.jid}`, onclick: () => cancelJob(j) }, 'Cancel'));
      } else if (j.status !== 'running' && btn) {
        if (document.activeElement === btn) $('console-cmd').focus();
        btn.remove();
      }
    });
    rows.forEach((li) => li.remove());
    if (!jobs.length) list.append(el('li', {}, 'No background jobs started from this page.'));
  }

  async function cancelJob(j) {
    j.note = 'stopping…';
    renderJobs();
    try {
      const r = await GW.request('DELETE', GW.unitPath(`jobs/${j.jid}`));
      j.note = r.how;
      j.status = 'cancelled';
    } catch (err) { j.note = 'could not stop it: ' + err.message; }
    saveJobs();
    renderJobs();
  }

  let polling = false;
  async function pollJobs() {
    if (polling) return;
    polling = true;
    while (jobs.some((j) => j.status === 'running')) {
      for (const j of jobs.filter((x) => x.status === 'running')) {
        try {
          const r = await GW.request('GET', GW.unitPath(`jobs/${j.jid}`), undefined, { retry: true });
          if (r.status !== 'running' && j.status === 'running') {
            j.status = r.status;
            j.note = r.error || (r.success === false ? 'failed' : 'result: ' + JSON.stringify(r.return).slice(0, 80));
          }
        } catch (err) {
          if (err.status === 404) { j.status = 'unknown'; j.note = 'saltgw no longer knows this job (restarted?)'; }
        }
      }
      saveJobs();
      renderJobs();
      await new Promise((r) => setTimeout(r, 1500));
    }
    polling = false;
  }

  $('console-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const cmd = $('console-cmd').value.trim();
    if (!cmd) { $('console-cmd').focus(); return; }
    remember(cmd);
    const out = $('console-out');
    while (out.children.length > 20) out.lastChild.remove();
    if ($('console-async').checked) {
      try {
        const r = await GW.request('POST', GW.unitPath('execute_raw/') + '?async=1', { command: cmd });
        jobs.unshift({ jid: r.jid, command: cmd, status: 'running' });
        saveJobs();
        renderJobs();
        pollJobs();
      } catch (err) {
        const v = P.jobView(out, '$ ' + cmd);
        v.fail(err);
      }
      return;
    }
    P.runJob(out, '$ ' + cmd, true, { command: cmd });
  });
  $('console-clear').addEventListener('click', () => $('console-out').replaceChildren());

  // ---- live events ---------------------------------------------------------------
  let stream = null;
  let paused = false;
  let held = [];
  const MAX_EVENTS = 200;

  function addEvent(ev) {
    const list = $('events-list');
    const text = JSON.stringify(ev.data, null, 1);  // cut short: a list of events, not a viewer
    list.prepend(el('li', {}, el('div', { class: 'tag' }, ev.tag), el('pre', {}, text.length > 600 ? text.slice(0, 600) + ' …' : text)));
    while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  }

  function startEvents() {
    if (stream) stream.stop();
    const tag = $('events-tag').value.trim();
    stream = GW.events(tag, (name, data) => {
      if (name !== 'message' || !data || !data.tag) return;
      if (paused) {
        held.push(data);
        $('events-status').textContent = `paused — ${held.length} event(s) held`;
      } else {
        addEvent(data);
      }
    }, (state, text) => { if (!paused || state !== 'open') $('events-status').textContent = text; });
  }

  $('events-form').addEventListener('submit', (e) => { e.preventDefault(); $('events-list').replaceChildren(); startEvents(); });
  $('events-pause').addEventListener('click', () => {
    paused = !paused;
    $('events-pause').textContent = paused ? 'Resume' : 'Pause';
    $('events-pause').setAttribute('aria-pressed', String(paused));
    if (!paused) {
      held.splice(0).forEach(addEvent);
      $('events-status').textContent = 'receiving events';
    } else {
      $('events-status').textContent = 'paused — 0 event(s) held';
    }
  });
  $('events-clear').addEventListener('click', () => $('events-list').replaceChildren());

  // ---- logs ----------------------------------------------------------------------
  async function loadLogs() {
    say('logs-msg', '');
    try {
      const files = await GW.request('GET', '/logs/', undefined, { retry: true });
      const list = $('logs-list');
      list.replaceChildren(...files.map((f) => el('li', { 'data-file': f.name },
        el('span', { class: 'name mono' }, f.name),
        el('span', { class: 'meta' }, `${P.bytes(f.size)} · ${f.modified.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`),
        el('span', { class: 'acts' },
          el('button', { type: 'button', class: 'small', 'aria-label': `Tail ${f.name}`, onclick: () => tail(f.name) }, 'Tail'),
          el('button', { type: 'button', class: 'small', 'aria-label': `Download ${f.name}`, onclick: () => download(f.name) }, 'Download')))));
      if (!files.length) list.append(el('li', {}, 'No log files.'));
    } catch (err) { say('logs-msg', 'Could not list the log files: ' + err.message); }
  }

  async function tail(name) {
    say('logs-msg', '');
    try {
      const res = await GW.request('GET', '/download_log/?file=' + encodeURIComponent(name) + '&tail=65536', undefined, { raw: true, retry: true });
      const size = Number(res.headers.get('X-Log-Size') || 0);
      let text = await res.text();
      const cut = size > 65536;
      if (cut && text.indexOf('\n') >= 0) text = text.slice(text.indexOf('\n') + 1);  // from the first whole line
      $('logs-tail-h').textContent = `Tail of ${name}` + (cut ? ` (last 64.0 KiB of ${P.bytes(size)})` : '');
      const pre = $('logs-tail');
      pre.textContent = text || '(empty)';
      pre.scrollTop = pre.scrollHeight;
    } catch (err) { say('logs-msg', `Could not read ${name}: ${err.message}`); }
  }

  async function download(name) {
    say('logs-msg', '');
    try {
      const res = await GW.request('GET', '/download_log/?file=' + encodeURIComponent(name), undefined, { raw: true, retry: true });
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', { href: url, download: name.split('/').pop() });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say('logs-msg', `Downloaded ${name}.`, true);
    } catch (err) { say('logs-msg', `Could not download ${name}: ${err.message}`); }
  }
  $('logs-refresh').addEventListener('click', loadLogs);

  P.LOADERS.events = () => { if (!stream || stream.ended) startEvents(); };
  P.LOADERS.logs = loadLogs;
  P.LOADERS.console = () => { renderJobs(); pollJobs(); };

  // ---- start ---------------------------------------------------------------------
  GW.onRestored(() => {
    if (P.LOADERS[location.hash.slice(1)] && location.hash !== '#events') P.LOADERS[location.hash.slice(1)]();
    pollJobs();
  });

  (async () => {
    try {
      const root = await GW.request('GET', '/', undefined, { retry: true });
      GW.unit = root.unit_id;
      GW.setConn('ok', 'connected');
    } catch (err) {
      GW.setConn('lost', 'the device did not answer: ' + err.message);
      return;
    }
    P.show(location.hash.slice(1) || 'device');
  })();
})();
