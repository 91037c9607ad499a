'use strict';
// WiFi networks and the APN: forms, validation, save, apply with progress.
(() => {
  const P = window.SaltgwPage;
  const { $, el, say, fieldError } = P;

  // ---- WiFi ------------------------------------------------------------------
  let nets = [];
  let editing = -1;
  let dirty = false;
  let loaded = false;

  const byteLength = (s) => new TextEncoder().encode(s).length;

  function setDirty(d) {
    dirty = d;
    $('wifi-dirty').textContent = d ? 'Changes not saved yet: “Save and apply WiFi” stores them on the device.' : '';
  }

  function renderNets() {
    const order = nets.map((n, i) => i).sort((a, b) => (nets[b].priority || 0) - (nets[a].priority || 0));
    const list = $('wifi-list');
    list.replaceChildren(...order.map((i) => {
      const n = nets[i];
      const act = (label, text, fn) => el('button', { type: 'button', class: 'small', 'aria-label': `${label} ${n.ssid}`, onclick: fn }, text);
      return el('li', { 'data-ssid': n.ssid },
        el('span', { class: 'name' }, n.ssid),
        el('span', { class: 'meta' }, `priority ${n.priority}${n.psk ? '' : ' · open network'}`),
        el('span', { class: 'acts' },
          act('Raise priority of', '▲ Priority', () => { n.priority = Math.min(999, (n.priority || 0) + 1); setDirty(true); renderNets(); }),
          act('Lower priority of', '▼ Priority', () => { n.priority = Math.max(0, (n.priority || 0) - 1); setDirty(true); renderNets(); }),
          act('Edit', 'Edit', () => startEdit(i)),
          act('Remove', 'Remove', () => { nets.splice(i, 1); if (editing === i) resetForm(); setDirty(true); renderNets(); })));
    }));
    if (!nets.length) list.append(el('li', {}, 'No saved networks.'));
  }

  function resetForm() {
    editing = -1;
    $('wifi-form').reset();
    $('wifi-priority').value = '1';
    $('wifi-form-h').textContent = 'Add a network';
    $('wifi-submit').textContent = 'Add network';
    $('wifi-cancel').hidden = true;
    ['ssid', 'psk', 'priority'].forEach((f) => fieldError($('wifi-' + f), `wifi-${f}-err`, ''));
  }

  function startEdit(i) {
    editing = i;
    const n = nets[i];
    $('wifi-ssid').value = n.ssid;
    $('wifi-psk').value = n.psk || '';
    $('wifi-priority').value = n.priority;
    $('wifi-form-h').textContent = `Edit network ${n.ssid}`;
    $('wifi-submit').textContent = 'Save network';
    $('wifi-cancel').hidden = false;
    $('wifi-ssid').focus();
  }

  async function loadWifi(force) {
    if (loaded && !force) return;
    say('wifi-list-msg', '');
    try {
      const r = await GW.execute('grains.get', ['wpa_supplicant:networks'], {}, { retry: true });
      nets = Array.isArray(r) ? r.map((n) => ({ ssid: String(n.ssid || ''), psk: n.psk ? String(n.psk) : '', priority: Number(n.priority) || 0 })) : [];
      loaded = true;
      setDirty(false);
      renderNets();
    } catch (err) { say('wifi-list-msg', 'Could not read the saved networks: ' + err.message); }
  }

  $('wifi-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ssid = $('wifi-ssid').value.trim(), psk = $('wifi-psk').value, pr = $('wifi-priority').value.trim();
    const dup = nets.findIndex((n, i) => n.ssid === ssid && i !== editing) >= 0;
    const ok = [
      fieldError($('wifi-ssid'), 'wifi-ssid-err', !ssid ? 'Enter the network name.' : byteLength(ssid) > 32 ? 'A network name is at most 32 bytes.' : dup ? `A network named ${ssid} is saved already; edit that one.` : ''),
      fieldError($('wifi-psk'), 'wifi-psk-err', psk && (psk.length < 8 || psk.length > 63 || !/^[\x20-\x7e]*$/.test(psk)) ? 'A WPA password is 8 to 63 plain characters (or leave it empty for an open network).' : ''),
      fieldError($('wifi-priority'), 'wifi-priority-err', !/^\d{1,3}$/.test(pr) ? 'Priority is a whole number from 0 to 999.' : ''),
    ].every(Boolean);
    if (!ok) { document.querySelector('#wifi-form [aria-invalid="true"]').focus(); return; }
    const net = { ssid, psk, priority: Number(pr) };
    if (editing >= 0) nets[editing] = net; else nets.push(net);
    resetForm();
    setDirty(true);
    renderNets();
    $('wifi-ssid').focus();
  });
  $('wifi-cancel').addEventListener('click', resetForm);

  $('wifi-apply').addEventListener('click', async () => {
    const btn = $('wifi-apply');
    btn.disabled = true;
    const out = $('wifi-run');
    out.replaceChildren();
    const v = P.jobView(out, 'Saving the networks (grains.set wpa_supplicant:networks)…', true);
    out.scrollIntoView({ block: 'nearest' });
    try {
      const stored = nets.map((n) => ({ ssid: n.ssid, psk: n.psk, priority: n.priority }));
      const r = await GW.execute('grains.set', ['wpa_supplicant:networks', stored], { destructive: true, force: true });
      if (r && r.result === false) throw new GW.ApiError(500, 'The device refused the networks: ' + (r.comment || JSON.stringify(r)));
      v.status('networks saved');
      v.box.append(el('p', { class: 'summary pass', 'data-summary': 'PASS' }, `Saved ${stored.length} network(s).`));
      setDirty(false);
    } catch (err) {
      v.fail(err);
      btn.disabled = false;
      return;
    }
    const last = await P.runJob(out, 'Applying (state.sls network.wlan.client.config): the hotspot may drop for a moment; the page reconnects by itself.', false,
      { command: 'state.sls', arg: ['network.wlan.client.config'], kwarg: {} }, true);
    btn.disabled = false;
    if (last) loadWifi(true);
  });

  // ---- APN ---------------------------------------------------------------
  const APN_FIELDS = ['apn', 'user', 'pass', 'pin', 'mtu'];

  async function loadApn() {
    say('apn-msg', '');
    try {
      const a = await GW.request('GET', GW.unitPath('settings/apn/'), undefined, { retry: true });
      APN_FIELDS.forEach((f) => { $('apn-' + f).value = a[f] === null || a[f] === undefined ? '' : a[f]; });
    } catch (err) { say('apn-msg', 'Could not read the APN settings: ' + err.message); }
  }

  function apnValues() {
    const v = {};
    APN_FIELDS.forEach((f) => { v[f] = $('apn-' + f).value.trim(); });
    const ok = [
      fieldError($('apn-apn'), 'apn-apn-err', !v.apn ? 'Enter the APN your operator gives (e.g. internet).' : !/^[A-Za-z0-9.\-_]+$/.test(v.apn) ? 'An APN has letters, digits, dots, dashes and underscores only.' : ''),
      fieldError($('apn-pin'), 'apn-pin-err', v.pin && !/^\d{4,8}$/.test(v.pin) ? 'A SIM PIN is 4 to 8 digits.' : ''),
      fieldError($('apn-mtu'), 'apn-mtu-err', v.mtu && (!/^\d+$/.test(v.mtu) || +v.mtu < 576 || +v.mtu > 1500) ? 'MTU is a whole number from 576 to 1500.' : ''),
    ].every(Boolean);
    if (!ok) { document.querySelector('#apn-form [aria-invalid="true"]').focus(); return null; }
    v.mtu = v.mtu ? Number(v.mtu) : null;
    return v;
  }

  async function saveApn() {
    const v = apnValues();
    if (!v) return false;
    say('apn-msg', '');
    try {
      const stored = await GW.request('PUT', GW.unitPath('settings/apn/'), v);
      say('apn-msg', `Saved: APN ${stored.apn}${stored.mtu ? ', MTU ' + stored.mtu : ''}.`, true);
      return true;
    } catch (err) { say('apn-msg', 'Not saved: ' + err.message); return false; }
  }

  $('apn-form').addEventListener('submit', (e) => { e.preventDefault(); saveApn(); });
  $('apn-apply').addEventListener('click', async () => {
    const btn = $('apn-apply');
    btn.disabled = true;
    if (await saveApn()) {
      $('apn-run').replaceChildren();
      $('apn-run').scrollIntoView({ block: 'nearest' });
      await P.runJob($('apn-run'), 'Applying (state.sls network.wwan.qmi.config)…', false,
        { command: 'state.sls', arg: ['network.wwan.qmi.config'], kwarg: {} });
    }
    btn.disabled = false;
  });

  P.LOADERS.wifi = () => loadWifi(false);
  P.LOADERS.apn = loadApn;
})();
