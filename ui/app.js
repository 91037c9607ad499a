'use strict';
// The configuration page's views: device, WiFi, APN, console, events, logs,
// and sign-in. Every action goes through the Local API (api.js).
(() => {
  const $ = (id) => document.getElementById(id);
  const VIEWS = ['device', 'wifi', 'apn', 'console', 'events', 'logs'];
  let current = null;

  // A new element: el('li', {class: 'x'}, 'text', child...).
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v === true ? '' : v);
    });
    kids.flat().forEach((k) => { if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k)); });
    return e;
  }

  function say(id, text, ok) {
    const m = $(id);
    m.textContent = text || '';
    m.classList.toggle('ok', !!ok);
  }

  function fieldError(input, errId, text) {
    $(errId).textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
    return !text;
  }

  const duration = (s) => {
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    return (d ? d + ' d ' : '') + (d || h ? h + ' h ' : '') + (d || h || m ? m + ' min ' : '') + (s % 60) + ' s';
  };
  const bytes = (n) => n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB';

  // ---- navigation -------------------------------------------------------
  function show(name, focus) {
    if (!VIEWS.includes(name) && name !== 'login') name = 'device';
    current = name;
    document.querySelectorAll('.view').forEach((v) => { v.hidden = v.id !== 'view-' + name; });
    document.querySelectorAll('#tabs button').forEach((b) => {
      if (b.dataset.view === name) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
    });
    if (name !== 'login' && location.hash !== '#' + name) history.replaceState(null, '', '#' + name);
    if (focus) $(name + '-h').focus();
    const loader = LOADERS[name];
    if (loader) loader();
  }

  $('tabs').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-view]');
    if (b) show(b.dataset.view, false);
  });
  window.addEventListener('hashchange', () => { if (VIEWS.includes(location.hash.slice(1))) show(location.hash.slice(1)); });
  document.querySelector('.skip').addEventListener('click', (e) => { e.preventDefault(); $('main').focus(); });
  document.querySelectorAll('h2').forEach((h) => h.setAttribute('tabindex', '-1'));

  // ---- sign-in ----------------------------------------------------------
  let afterLogin = 'device';
  GW.onAuth = (words) => {
    if (current !== 'login') afterLogin = current || afterLogin;
    say('login-msg', words);
    show('login');
    $('login-btn').focus();
  };
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    say('login-msg', '');
    try {
      const r = await GW.request('POST', '/auth/login/', undefined, { retry: true });
      GW.setToken(r.token);
      show(afterLogin, true);
    } catch (err) { say('login-msg', 'Sign-in failed: ' + err.message); }
  });

  // ---- job results: PASS/FAIL per state ------------------------------------
  function isStateReturn(ret) {
    return ret && typeof ret === 'object' && !Array.isArray(ret) && Object.keys(ret).length > 0 &&
      Object.keys(ret).every((k) => k.includes('_|-'));
  }

  function stateItem(s) {
    const ok = s.result === true || (s.result === null);
    const li = el('li', { 'data-run': s.__run_num__ },
      el('span', { class: 'badge ' + (ok ? 'pass' : 'fail') }, ok ? 'PASS' : 'FAIL'),
      el('strong', {}, s.__id__ || s.name || ''), ' ', s.comment ? '— ' + String(s.comment).split('\n')[0] : '',
      s.duration !== undefined ? el('span', { class: 'hint' }, ` (${Math.round(s.duration)} ms)`) : null);
    return li;
  }

  // A job's area: heading, progress per state, and the outcome.
  // Newest first in the console; in order (append) where steps follow one another.
  function jobView(container, title, append) {
    const box = el('div', { class: 'job' });
    const head = el('p', { class: 'hint' }, title);
    const wait = el('p', { class: 'hint', role: 'status' }, 'sending…');
    const states = el('ul', { class: 'states', 'aria-label': 'States' });
    box.append(head, wait, states);
    if (append) container.append(box); else container.prepend(box);
    const seen = new Set();
    return {
      box,
      status(text) { wait.textContent = text; },
      progress(chunk, total) {
        if (!chunk || seen.has(chunk.__run_num__)) return;
        seen.add(chunk.__run_num__);
        states.append(stateItem(chunk));
        wait.textContent = `running: ${seen.size}${total ? ' of ' + total : ''} states done`;
      },
      finish(last) {
        const ret = last.return;
        if (isStateReturn(ret)) {
          const all = Object.values(ret).sort((a, b) => (a.__run_num__ || 0) - (b.__run_num__ || 0));
          states.replaceChildren(...all.map(stateItem));
          const failed = all.filter((s) => s.result === false).length;
          const sum = el('p', { class: 'summary ' + (failed ? 'fail' : 'pass'), 'data-summary': failed ? 'FAIL' : 'PASS' },
            failed ? `FAIL: ${failed} of ${all.length} states failed` : all.length === 1 ? 'PASS: the state succeeded' : `PASS: all ${all.length} states succeeded`);
          box.append(sum);
        } else if (last.type === 'result') {
          box.append(el('p', { class: 'summary pass', 'data-summary': 'PASS' }, 'PASS'),
            el('pre', { class: 'out', tabindex: '0', 'aria-label': 'Output' }, typeof ret === 'string' ? ret : JSON.stringify(ret, null, 2)));
        }
        if (last.type === 'error') {
          if (!isStateReturn(ret)) box.append(el('p', { class: 'summary fail', 'data-summary': 'FAIL' }, 'FAIL'));
          box.append(el('p', { class: 'msg', role: 'alert' }, last.error + (last.kind ? ` (${last.kind})` : '')));
        }
        wait.textContent = last.jid ? `job ${last.jid} ended` : 'ended';
      },
      fail(err) {
        box.append(el('p', { class: 'summary fail', 'data-summary': 'FAIL' }, 'FAIL'), el('p', { class: 'msg', role: 'alert' }, err.message));
        wait.textContent = 'not run';
      },
    };
  }

  // Runs a job streamed into `container`; resolves to its last line (or null).
  async function runJob(container, title, raw, body, append) {
    const v = jobView(container, title, append);
    try {
      const last = await GW.runStreamed(raw, body, (line) => {
        if (line.type === 'accepted') v.status(`job ${line.jid} accepted (${line.fun}), running…`);
        if (line.type === 'progress' && line.data && line.data.ret) v.progress(line.data.ret, line.data.len);
      }, (text) => v.status(text));
      v.finish(last);
      return last;
    } catch (err) {
      v.fail(err);
      return null;
    }
  }

  // ---- device ----------------------------------------------------------
  async function loadDevice() {
    say('device-msg', '');
    try {
      const info = await GW.request('GET', '/info/', undefined, { retry: true });
      $('dev-unit').textContent = info.unit_id;
      $('dev-dispatch').textContent = info.dispatch;
      $('dev-version').textContent = info.saltgw_version;
      $('dev-gw-uptime').textContent = duration(info.uptime_seconds);
      $('dev-auth').textContent = info.auth;
      const [ver, up] = await Promise.all([
        GW.execute('test.version', [], {}, { retry: true }),
        GW.execute('status.uptime', [], {}, { retry: true }).catch((e) => ({ error: e.message })),
      ]);
      $('dev-salt').textContent = ver;
      $('dev-uptime').textContent = up && up.seconds !== undefined ? duration(up.seconds) : 'unknown' + (up && up.error ? ': ' + up.error : '');
    } catch (err) { say('device-msg', 'Could not read the device: ' + err.message); }
  }
  $('device-refresh').addEventListener('click', loadDevice);

  const LOADERS = { device: loadDevice };
  window.SaltgwPage = { $, el, say, fieldError, duration, bytes, show, runJob, jobView, LOADERS, isStateReturn };
})();
