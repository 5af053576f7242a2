// The replica portal shell: top bar, sidebar, breadcrumb, blade chrome and hash routing.
// The blade body is drawn here ('ko' style, so_frame=shell, the default) or in a cross-origin
// reactblade iframe ('fluent' style, so_frame=iframe), picked per page load by the query string.
'use strict';

(() => {
  const { el, t, icon } = SO;
  const p = SO.params;
  const html = document.documentElement;
  const host = location.hostname;
  const entra = host.startsWith('entra.');
  const frameMode = p.get('so_frame') === 'iframe' ? 'iframe' : 'shell';
  const appName = p.get('so_app') || 'Contoso Billing API';
  const existing = p.get('so_existing') !== '0';
  const DEFAULT_APP_ID = p.get('so_appid') || '3b9f1a2c-5d4e-4f60-8a71-92b3c4d5e6f7';
  const REG = 'Microsoft_AAD_RegisteredApps';
  const LIST_HASH = `#view/${REG}/ApplicationsListBlade`;
  const KV_HASH = '#view/Microsoft_Azure_KeyVault/SecretVersionBlade/vault/contoso-kv/name/app-secret/version/8c1f0e2d9b7a4c65a3e1f0d2c4b6a890';
  const APP_MENU = [
    ['Overview', 'overview', 'nav-overview'], ['Quickstart', 'quickstart', 'nav-quickstart'], null,
    ['Branding', 'branding', 'nav-branding'], ['Authentication', 'authentication', 'nav-authentication'],
    ['Credentials', 'certsSecrets', 'nav-credentials'], ['TokenConfiguration', 'tokenConfig', 'nav-token-configuration'],
    ['CallAnAPI', 'apiPermissions', 'nav-api-permissions'], ['ExposeAnAPI', 'exposeApi', 'nav-expose-api'],
    ['AppRoles', 'appRoles', 'nav-app-roles'], ['Owners', 'owners', 'nav-owners'], ['Manifest', 'manifest', 'nav-manifest'],
  ];
  const appHash = (menu, appId) => `#view/${REG}/ApplicationMenuBlade/~/${menu}/appId/${appId}/isMSAApp~/false`;

  SO.applyTheme();
  html.dataset.replicaFrame = frameMode;
  html.dataset.replicaHost = entra ? 'entra' : 'portal';

  /**
   * Route of a portal hash, in every shape seen in the wild:
   * `#view/<ext>/<blade>/~/<menu>/appId/<guid>/isMSAApp~/false`, without isMSAApp, with `?query`
   * inside the fragment, legacy `#blade/<ext>/<blade>/<menu>/appId/<guid>`, `#@tenant/view/...`.
   */
  function parseRoute(hash) {
    let h = hash.replace(/^#/, '');
    let directory = null;
    const dm = h.match(/^@([^/]+)\/(.*)$/);
    if (dm) { directory = dm[1]; h = dm[2]; }
    const qi = h.indexOf('?');
    if (qi >= 0) h = h.slice(0, qi);
    const parts = h.split('/').filter((s) => s.length);
    const r = { directory, blade: 'home' };
    if (!parts.length || parts[0] === 'home') return r;
    if (parts[1] === REG && parts[2] === 'ApplicationsListBlade') return Object.assign(r, { blade: 'appList' });
    if (parts[1] === REG && parts[2] === 'ApplicationMenuBlade') {
      let rest = parts.slice(3);
      if (rest[0] === '~') rest = rest.slice(1);
      const ai = rest.indexOf('appId');
      return Object.assign(r, { blade: 'appMenu', menu: rest[0] || 'Overview', appId: ai >= 0 ? rest[ai + 1] || '' : '' });
    }
    if (parts[1] === 'Microsoft_Azure_KeyVault') {
      const kv = { vault: 'contoso-kv', name: 'app-secret', version: '8c1f0e2d9b7a4c65a3e1f0d2c4b6a890' };
      const full = decodeURIComponent(h).match(/https:\/\/([^./]+)\.vault\.azure\.net\/secrets\/([^/]+)\/([0-9a-f]+)/i);
      if (full) Object.assign(kv, { vault: full[1], name: full[2], version: full[3] });
      for (const k of ['vault', 'name', 'version']) { const i = parts.indexOf(k); if (i >= 0 && parts[i + 1]) kv[k] = parts[i + 1]; }
      return Object.assign(r, { blade: 'keyvault', kv });
    }
    return Object.assign(r, { blade: 'unknown' });
  }

  // ------------------------------------------------------------------ static chrome
  const crumbs = el('ol', { class: 'fxs-breadcrumb-list' });
  const title = el('h2', { class: 'fxs-blade-title-titleText', 'data-testid': 'blade-title' });
  const subtitle = el('div', { class: 'fxs-blade-title-subtitle' });
  const closeBtn = el('button', { type: 'button', class: 'fxs-blade-close fxs-button-icon', 'data-testid': 'blade-close', title: t('close'), 'aria-label': t('close') }, icon('close'));
  const menu = el('nav', { class: 'fxs-menu', 'aria-label': t('manage') });
  const inner = el('div', { class: 'so-blade-inner', id: 'so-blade-inner' });
  const framePool = el('div', { class: 'so-frame-pool', id: 'so-frame-pool' });
  const content = el('div', { class: 'fxs-blade-content', id: 'so-blade-content' }, inner, framePool);
  const blade = el('section', { class: 'fxs-blade fxs-blade-maximized', 'data-testid': 'blade', role: 'region' },
    el('header', { class: 'fxs-blade-header' },
      el('div', { class: 'fxs-blade-title' }, title, subtitle),
      el('div', { class: 'fxs-blade-actions' }, closeBtn)),
    el('div', { class: 'fxs-blade-body' }, menu, content));
  const toasts = el('div', { class: 'fxs-toast-container', 'aria-live': 'polite' });
  const sideLink = (href, text, testid) => el('a', { href, class: 'fxs-sidebar-item', 'data-testid': testid }, text);

  document.body.replaceChildren(
    el('header', { class: 'fxs-topbar', role: 'banner' },
      el('a', { class: 'fxs-topbar-home', href: '#home' }, entra ? 'Microsoft Entra admin center' : 'Microsoft Azure'),
      el('div', { class: 'fxs-topbar-search' }, el('input', { type: 'search', placeholder: t('search'), 'aria-label': t('search') })),
      el('div', { class: 'fxs-topbar-account' }, el('span', {}, 'admin@contoso.onmicrosoft.com'), el('span', { class: 'so-muted' }, 'CONTOSO'))),
    el('div', { class: 'fxs-portal-main' },
      el('nav', { class: 'fxs-sidebar', 'aria-label': 'Portal' },
        sideLink('#home', t('home'), 'side-home'),
        sideLink(LIST_HASH, t('appRegs'), 'side-app-registrations'),
        sideLink(KV_HASH, 'Key vaults', 'side-key-vaults')),
      el('main', { class: 'fxs-journey' },
        el('nav', { class: 'fxs-breadcrumb', 'aria-label': 'Breadcrumb' }, crumbs),
        blade)),
    toasts);

  // ------------------------------------------------------------------ frames (iframe model)
  const pool = { active: null, spare: null };
  const frameOrigin = (n) => SO.isPortalHost(host)
    ? `https://sandbox-${n}.reactblade.portal.azure.net${location.port ? ':' + location.port : ''}`
    : location.origin; // off-portal copy: same-origin blade frames
  function makeFrame(n) {
    const f = el('iframe', {
      class: 'fxs-part-frame', 'data-sandbox': n, title: 'ReactView', allow: 'clipboard-read; clipboard-write',
      sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-modals allow-downloads',
    });
    framePool.appendChild(f);
    return f;
  }
  /** Opens a blade page in a pool frame; returns the URL (also exposed as data-frame-url). */
  function openFrame(page, extra) {
    let f = pool.spare;
    pool.spare = null;
    if (!f) f = makeFrame(pool.active && pool.active.dataset.sandbox === '1' ? 2 : 1);
    if (pool.active && pool.active !== f) pool.active.remove();
    const q = SO.scenarioParams();
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    q.set('trustedAuthority', location.origin);
    const url = `${frameOrigin(f.dataset.sandbox)}/${page}.html?${q}`;
    f.setAttribute('data-testid', 'blade-frame');
    f.hidden = false;
    f.addEventListener('load', prepareSpare, { once: true });
    f.src = url;
    pool.active = f;
    return url;
  }
  /** As the portal does: after a blade frame loads, prepare the next frame on another sandbox host. */
  function prepareSpare() {
    if (pool.spare || p.get('so_pool') === '0' || !pool.active) return;
    const f = makeFrame(pool.active.dataset.sandbox === '1' ? 2 : 1);
    f.hidden = true;
    f.setAttribute('data-testid', 'spare-frame');
    const q = new URLSearchParams({ so_csp: p.get('so_csp') || 'permissive', trustedAuthority: location.origin });
    f.src = `${frameOrigin(f.dataset.sandbox)}/blank.html?${q}`;
    pool.spare = f;
  }
  function closeFrame() { if (pool.active) { pool.active.remove(); pool.active = null; } }

  let adds = 0;
  window.addEventListener('message', (e) => {
    const d = e.data;
    if (!d || d.source !== 'so-replica' || !pool.active || e.source !== pool.active.contentWindow) return;
    if (d.type === 'ready') html.dataset.replicaReady = d.blade;
    else if (d.type === 'inserted') { adds += 1; html.dataset.replicaAdds = adds; html.dataset.replicaValueInsertedAt = d.insertedAt; }
    else if (d.type === 'notify') notify(d.key);
    else if (d.type === 'navigate' && typeof d.hash === 'string' && d.hash.startsWith('#')) location.hash = d.hash;
  });

  function notify(key) {
    if (key !== 'added') return;
    const toast = el('div', { class: 'fxs-toast', role: 'status', 'data-testid': 'toast' },
      el('strong', {}, t('clientSecrets')), el('div', {}, t('added', { app: appName })));
    toasts.appendChild(toast);
    setTimeout(() => toast.remove(), 8000);
  }

  // ------------------------------------------------------------------ routing
  let dispose = null;
  function setChrome(crumbList, titleText, subtitleText, closeHash, menuItems, activeMenu) {
    crumbs.replaceChildren(...crumbList.map(([text, href], i) => el('li', { class: 'fxs-breadcrumb-item' },
      href ? el('a', { href, 'data-testid': `crumb-${i}` }, text) : el('span', { 'data-testid': `crumb-${i}` }, text),
      i < crumbList.length - 1 ? el('span', { class: 'fxs-breadcrumb-separator', 'aria-hidden': 'true' }, ' > ') : null)));
    title.textContent = titleText;
    subtitle.textContent = subtitleText || '';
    closeBtn.onclick = () => { location.hash = closeHash; };
    closeBtn.hidden = !closeHash;
    menu.hidden = !menuItems;
    menu.replaceChildren(...(menuItems || []).map((m) => m === null
      ? el('div', { class: 'fxs-menu-group' }, t('manage'))
      : el('a', {
        href: m.href, class: `fxs-menu-item${m.id === activeMenu ? ' fxs-menu-item-selected' : ''}`, 'data-testid': m.testid,
        'aria-current': m.id === activeMenu ? 'page' : null,
      }, m.label)));
  }

  function render() {
    if (dispose) { dispose(); dispose = null; }
    delete html.dataset.replicaReady;
    inner.replaceChildren();
    const r = parseRoute(location.hash);
    const ready = (b) => { html.dataset.replicaReady = b; };
    html.dataset.replicaRoute = r.blade === 'appMenu' ? r.menu : r.blade;
    const home = [t('home'), '#home'];

    if (r.blade === 'appMenu') {
      const entry = APP_MENU.find((m) => m && m[0].toLowerCase() === r.menu.toLowerCase());
      const label = entry ? t(entry[1]) : r.menu;
      setChrome([home, [t('appRegs'), LIST_HASH], [appName, null]], `${appName} | ${label}`, t('appRegistration'), LIST_HASH,
        APP_MENU.map((m) => m && { id: m[0], href: appHash(m[0], r.appId), testid: m[2], label: t(m[1]) }), entry ? entry[0] : null);
      const page = { Credentials: 'credentials', Overview: 'overview' }[entry ? entry[0] : ''] || 'blade';
      if (frameMode === 'iframe') {
        html.dataset.frameUrl = openFrame(page, page === 'blade' ? { appId: r.appId, title: label } : { appId: r.appId });
        return;
      }
      closeFrame();
      const ctx = {
        style: 'ko', appId: r.appId, appName, existing, kind: p.get('so_kind') || 'current', render: p.get('so_render') || 'text', rerender: p.get('so_rerender') === '1',
        title: `${appName} | ${label}`, navigate: (hash) => { location.hash = hash; }, notify, ready,
        inserted: () => { /* the blade marks this document itself */ },
      };
      const fn = { credentials: Blades.credentials, overview: Blades.overview }[page] || Blades.placeholder;
      dispose = fn(inner, ctx);
      return;
    }
    if (r.blade === 'keyvault') {
      setChrome([home, [`${r.kv.vault} | ${t('kvSecrets')}`, null], [r.kv.name, null]], r.kv.version, t('kvTitle'), '#home', null);
      if (frameMode === 'iframe') { html.dataset.frameUrl = openFrame('keyvault', r.kv); return; }
      closeFrame();
      dispose = Blades.keyvault(inner, { style: 'ko', kv: r.kv, ready });
      return;
    }
    closeFrame();
    if (r.blade === 'appList') {
      setChrome([home, [t('appRegs'), null]], t('appRegs'), null, '#home', null);
      const apps = [[appName, DEFAULT_APP_ID], ['Contoso HR Portal', '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a']];
      inner.appendChild(el('div', { class: 'so-applist fxs-part', 'data-testid': 'app-list' },
        el('div', { class: 'fxs-commandBar' }, el('button', { type: 'button', class: 'fxs-commandBar-item fxs-button' }, icon('add'), t('newRegistration'))),
        el('table', { role: 'grid', class: 'azc-grid-full fxc-gc-table' },
          el('thead', {}, el('tr', { class: 'fxc-gc-columnheader-row' }, el('th', { role: 'columnheader' }, t('displayName')), el('th', { role: 'columnheader' }, t('appId')))),
          el('tbody', {}, apps.map(([n, id]) => el('tr', { class: 'fxc-gc-row', role: 'row' },
            el('td', { class: 'fxc-gc-cell' }, el('a', { href: appHash('Overview', id), 'data-testid': 'app-link' }, n)),
            el('td', { class: 'fxc-gc-cell' }, id)))))));
      ready('appList');
      return;
    }
    setChrome([home], t('home'), null, null, null);
    inner.appendChild(el('div', { class: 'so-home', 'data-testid': 'home' },
      el('h3', {}, t('services')),
      el('div', { class: 'so-tiles' },
        el('a', { class: 'so-tile', href: LIST_HASH }, icon('key', 'so-tile-icon'), t('appRegs')),
        el('a', { class: 'so-tile', href: KV_HASH }, icon('key', 'so-tile-icon'), 'Key vaults'),
        el('a', { class: 'so-tile', href: appHash('Overview', DEFAULT_APP_ID) }, icon('info', 'so-tile-icon'), appName))));
    ready(r.blade);
  }

  window.addEventListener('hashchange', render);
  render();
})();
