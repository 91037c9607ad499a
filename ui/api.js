'use strict';
// The page's client of the Local API: the token, errors in words, losing and
// regaining the connection, and NDJSON / SSE streams read with fetch (so that
// the token travels as a header, which EventSource cannot send).
const GW = (() => {
  const TOKEN_KEY = 'saltgw.token';
  const st = { unit: null, token: sessionStorage.getItem(TOKEN_KEY), lost: false, lostAt: 0, waiters: [], restored: [], onAuth: null, timings: [] };

  class ApiError extends Error {
    constructor(status, message, body) { super(message); this.status = status; this.body = body; }
  }

  function setConn(kind, text) {
    const el = document.getElementById('conn');
    el.textContent = text;
    el.className = 'conn' + (kind === 'ok' ? '' : ' ' + kind);
  }

  function setToken(token) {
    st.token = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // The connection is gone: say so and probe GET / with backoff until it answers.
  function connectionLost(why) {
    if (st.lost) return;
    st.lost = true;
    st.lostAt = Date.now();
    probe(why || 'the device does not answer');
  }

  async function probe(why) {
    let delay = 1000;
    for (;;) {
      for (let left = delay / 1000; left > 0; left--) {
        setConn('lost', `connection lost (${why}) — retrying in ${left} s`);
        await sleep(1000);
      }
      setConn('wait', 'connection lost — retrying now…');
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 4000);
      try {
        const res = await fetch('/', { headers: { Accept: 'application/json' }, cache: 'no-store', signal: ctl.signal });
        clearTimeout(timer);
        if (res.ok) break;
      } catch (e) { clearTimeout(timer); }
      delay = Math.min(delay * 2, 8000);
    }
    const secs = Math.round((Date.now() - st.lostAt) / 1000);
    st.lost = false;
    setConn('ok', `connection restored after ${secs} s`);
    setTimeout(() => { if (!st.lost) setConn('ok', 'connected'); }, 15000);
    st.waiters.splice(0).forEach((w) => w());
    st.restored.forEach((f) => { try { f(secs); } catch (e) { console.error(e); } });
  }

  // Resolves once the connection is up (at once when it is).
  function online() { return st.lost ? new Promise((r) => st.waiters.push(r)) : Promise.resolve(); }

  function headers(extra) {
    const h = Object.assign({ Accept: 'application/json' }, extra || {});
    if (st.token) h.Authorization = 'Bearer ' + st.token;
    return h;
  }

  async function errorOf(res) {
    let body = null;
    let message = `${res.status} ${res.statusText}`;
    try { body = await res.json(); if (body && body.error) message = body.error; } catch (e) { /* not JSON */ }
    if (res.status === 401 && res.headers.get('WWW-Authenticate')) {
      const had = !!st.token;
      setToken(null);
      const words = had
        ? 'Your sign-in has expired or is no longer valid. Sign in again to continue.'
        : 'This device asks you to sign in first.';
      if (st.onAuth) st.onAuth(words);
      message = words;
    }
    return new ApiError(res.status, message, body);
  }

  // One request. `retry`: on a lost connection, wait for it to come back and
  // send again (only for requests that change nothing or may be repeated).
  async function request(method, path, body, opts) {
    const o = opts || {};
    for (let attempt = 0; ; attempt++) {
      await online();
      const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : o.headers), cache: 'no-store', signal: o.signal };
      if (body !== undefined) init.body = JSON.stringify(body);
      const t0 = performance.now();
      let res;
      try {
        res = await fetch(path, init);
      } catch (e) {
        connectionLost('the device did not answer');
        if (o.retry && attempt < 20) continue;
        throw new ApiError(0, 'The connection was lost before the device answered; the request may not have reached it.');
      }
      const what = method + ' ' + path.replace(/\/dongle\/[^/]+/, '/dongle/<unit>') + (body && body.command ? ' ' + String(body.command).split(' ')[0] : '') + (o.raw ? ' (until the headers)' : '');
      st.timings.push({ what, ms: performance.now() - t0, status: res.status });
      if (st.timings.length > 200) st.timings.shift();
      if (!res.ok) throw await errorOf(res);
      if (o.raw) return res;
      if (res.status === 204) return null;
      return res.json();
    }
  }

  const unitPath = (rest) => `/dongle/${st.unit}/${rest}`;
  const execute = (command, arg, kwarg, opts) =>
    request('POST', unitPath('execute/'), { command, arg: arg || [], kwarg: kwarg || {} }, opts);

  // Reads a fetch body line by line (NDJSON) or frame by frame (SSE).
  async function readChunks(res, sep, onPiece) {
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf(sep)) >= 0) {
        const piece = buf.slice(0, i);
        buf = buf.slice(i + sep.length);
        if (piece.trim()) onPiece(piece);
      }
    }
  }

  // A job's view from the jobs route, as a final stream line.
  function finalFromJob(job) {
    if (job.status === 'finished') return { type: 'result', jid: job.jid, return: job.return, success: job.success, retcode: job.retcode };
    return { type: 'error', jid: job.jid, error: job.error || 'the job failed', kind: job.kind, return: job.return };
  }

  // Polls a job until it ends; `onWait(text)` tells the page what happens.
  async function pollJob(jid, onWait) {
    for (;;) {
      await online();
      try {
        const job = await request('GET', unitPath(`jobs/${jid}`), undefined, { retry: true });
        if (job.status !== 'running') return finalFromJob(job);
        if (onWait) onWait(`job ${jid} is still running on the device…`);
      } catch (e) {
        if (e.status === 404) {
          return { type: 'error', jid, kind: 'lost', error: `saltgw no longer knows job ${jid} (it was restarted while the job ran), so its result is lost. The job itself may have finished on the device: check before running it again.` };
        }
        if (e.status !== 0) throw e;
      }
      await sleep(1000);
    }
  }

  // True when GET / answers within `ms`.
  async function ping(ms) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), ms);
    try {
      const res = await fetch('/', { headers: { Accept: 'application/json' }, cache: 'no-store', signal: ctl.signal });
      return res.ok;
    } catch (e) {
      return false;
    } finally { clearTimeout(timer); }
  }

  // While a long answer streams in, a dropped hotspot shows as silence, not
  // as an error (no TCP reset comes): probe the device every few seconds and
  // give up on the stream when it stops answering.
  function watchdog(ctl, every) {
    let busy = false;
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      if (st.lost || !(await ping(4000))) {
        connectionLost('the device stopped answering');
        ctl.abort();
      }
      busy = false;
    }, every);
    return () => clearInterval(timer);
  }

  // Runs a command streamed (NDJSON): onLine gets each line; resolves to the
  // last one. When the connection drops after the job was accepted, the job
  // is followed by polling its jid instead.
  async function runStreamed(raw, body, onLine, onWait) {
    const path = unitPath(raw ? 'execute_raw/' : 'execute/') + '?stream=1';
    let jid = null;
    let last = null;
    const ctl = new AbortController();
    const stopWatch = watchdog(ctl, 5000);
    try {
      const res = await request('POST', path, body, { raw: true, headers: {}, signal: ctl.signal });
      await readChunks(res, '\n', (line) => {
        let obj;
        try { obj = JSON.parse(line); } catch (e) { return; }
        if (obj.type === 'accepted') jid = obj.jid;
        if (obj.type === 'result' || obj.type === 'error') last = obj;
        onLine(obj);
      });
    } catch (e) {
      if (e instanceof ApiError && e.status !== 0) throw e;
      if (!jid) throw new ApiError(0, 'The connection was lost before the device accepted the command; it did not start, or its outcome is unknown.');
    } finally { stopWatch(); }
    if (last) return last;
    connectionLost('a running job’s stream broke off');
    if (onWait) onWait(`connection lost while job ${jid} ran; following it by its id once the device answers…`);
    return pollJob(jid, onWait);
  }

  // Live events (SSE over fetch): reconnects until stop() is called.
  function events(tag, onEvent, onState) {
    const ctl = { stopped: false, abort: null };
    (async () => {
      let delay = 1000;
      while (!ctl.stopped) {
        await online();
        const ac = new AbortController();
        ctl.abort = () => ac.abort();
        let heard = Date.now();
        const silence = setInterval(() => { if (st.lost || Date.now() - heard > 35000) ac.abort(); }, 2000);
        try {
          const q = tag ? '?tag=' + encodeURIComponent(tag) : '';
          const res = await fetch(unitPath('events') + q, { headers: headers({ Accept: 'text/event-stream' }), signal: ac.signal, cache: 'no-store' });
          if (!res.ok) {
            const err = await errorOf(res);
            onState('error', err.message);
            if (res.status === 401) { ctl.stopped = true; return; }  // started again after signing in
            await sleep(delay);
            continue;
          }
          delay = 1000;
          onState('open', tag ? `receiving events whose tag starts with “${tag}”` : 'receiving all events');
          await readChunks(res, '\n\n', (frame) => {
            heard = Date.now();
            let name = 'message';
            const data = [];
            frame.split('\n').forEach((l) => {
              if (l.startsWith('event:')) name = l.slice(6).trim();
              else if (l.startsWith('data:')) data.push(l.slice(5).replace(/^ /, ''));
            });
            if (!data.length) return;
            try { onEvent(name, JSON.parse(data.join('\n'))); } catch (e) { /* not JSON */ }
          });
          if (!ctl.stopped) onState('closed', 'the event stream ended; reconnecting…');
        } catch (e) {
          if (ctl.stopped) return;
          onState('closed', 'the event stream was cut; reconnecting…');
          if (!(await ping(4000))) connectionLost('the event stream was cut');
        } finally { clearInterval(silence); }
        await sleep(delay);
        delay = Math.min(delay * 2, 8000);
      }
    })();
    return { stop() { ctl.stopped = true; if (ctl.abort) ctl.abort(); }, get ended() { return ctl.stopped; } };
  }

  return {
    ApiError, request, execute, unitPath, runStreamed, pollJob, events, online, setConn, setToken, connectionLost,
    get unit() { return st.unit; }, set unit(u) { st.unit = u; },
    get token() { return st.token; },
    set onAuth(f) { st.onAuth = f; },
    onRestored(f) { st.restored.push(f); },
    timings: st.timings,
  };
})();
