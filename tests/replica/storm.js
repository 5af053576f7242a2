// "Mutation storm" page for overhead benchmarks: a portal-like live log grid that destroys and
// recreates thousands of nodes per second for `so_seconds` (default 10). It shows no secrets,
// only GUIDs, timestamps and log text. Parameters: so_seconds, so_rows (rows per tick, default 80),
// so_interval (ms between ticks, default 50), so_delay (ms before the start, default 0).
// <html> gets data-storm-state (waiting|running|done), data-storm-ticks, data-storm-nodes,
// data-storm-started-at / data-storm-ended-at (performance.timeOrigin + performance.now()).
'use strict';

(() => {
  const { el, t } = SO;
  const p = SO.params;
  const num = (k, d) => { const v = parseFloat(p.get(k)); return Number.isFinite(v) && v >= 0 ? v : d; };
  const seconds = num('so_seconds', 10), rowsPerTick = num('so_rows', 80), interval = num('so_interval', 50), delay = num('so_delay', 0);
  const html = document.documentElement;
  SO.applyTheme();
  html.dataset.stormState = 'waiting';

  const tbody = el('tbody', { class: 'azc-grid-groupdata' });
  document.body.replaceChildren(
    el('header', { class: 'fxs-topbar', role: 'banner' }, el('span', { class: 'fxs-topbar-home' }, 'Microsoft Azure')),
    el('div', { class: 'fxs-portal-main' }, el('main', { class: 'fxs-journey' },
      el('section', { class: 'fxs-blade', 'data-testid': 'storm-blade' },
        el('header', { class: 'fxs-blade-header' }, el('div', { class: 'fxs-blade-title' },
          el('h2', { class: 'fxs-blade-title-titleText' }, `contoso-web | ${t('logStream')}`))),
        el('div', { class: 'fxs-blade-content' }, el('div', { class: 'azc-grid fxc-gc' },
          el('table', { role: 'grid', class: 'fxc-gc-table' },
            el('thead', {}, el('tr', { class: 'fxc-gc-columnheader-row' },
              ['Time', 'Level', 'Operation', 'Correlation ID', 'Message'].map((h) => el('th', { role: 'columnheader', class: 'fxc-gc-columnheader' }, h)))),
            tbody)))))));

  let seed = (Date.now() ^ (performance.now() * 1000)) >>> 0 || 1;
  const rnd = () => { seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0; return seed; };
  const hex = (n) => Array.from({ length: n }, () => (rnd() & 15).toString(16)).join('');
  const guid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[rnd() & 3]}${hex(3)}-${hex(12)}`;
  const levels = ['Informational', 'Warning', 'Error', 'Verbose'];
  const ops = ['GET /api/orders', 'POST /api/checkout', 'GET /health', 'PUT /api/cart/items', 'DELETE /api/session'];
  let ticks = 0, nodes = 0, timer = null;

  function tick() {
    const frag = document.createDocumentFragment();
    const stamp = new Date().toISOString();
    for (let i = 0; i < rowsPerTick; i++) {
      const r = rnd();
      frag.appendChild(el('tr', { role: 'row', class: 'fxc-gc-row' },
        el('td', { class: 'fxc-gc-cell' }, stamp),
        el('td', { class: 'fxc-gc-cell' }, levels[r & 3]),
        el('td', { class: 'fxc-gc-cell' }, ops[r % ops.length]),
        el('td', { class: 'fxc-gc-cell' }, guid()),
        el('td', { class: 'fxc-gc-cell' }, `Request completed in ${r % 900} ms (status ${[200, 201, 204, 404, 500][r % 5]})`)));
    }
    tbody.replaceChildren(frag);
    ticks += 1;
    nodes += rowsPerTick * 11; // 6 elements + 5 text nodes per row
    html.dataset.stormTicks = ticks;
    html.dataset.stormNodes = nodes;
  }

  setTimeout(() => {
    html.dataset.stormState = 'running';
    html.dataset.stormStartedAt = SO.now();
    tick();
    timer = setInterval(tick, interval);
    setTimeout(() => {
      clearInterval(timer);
      html.dataset.stormEndedAt = SO.now();
      html.dataset.stormState = 'done';
    }, seconds * 1000);
  }, delay);
})();
