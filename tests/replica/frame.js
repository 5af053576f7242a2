// Reactblade iframe documents (sandbox-N.reactblade.portal.azure.net): draws one blade with
// Fluent UI markup and talks to the shell with postMessage, as the real portal's blade frames do.
// The page (credentials / overview / keyvault / blade / blank) is the file name; parameters
// come in the query string the shell built (appId, l, so_*, trustedAuthority).
'use strict';

(() => {
  SO.applyTheme();
  const p = SO.params;
  const page = location.pathname.replace(/^\/+/, '').replace(/\.html$/, '') || 'blank';
  const parentOrigin = p.get('trustedAuthority') || '*';
  const post = (msg) => {
    if (parent === window) return;
    try { parent.postMessage(Object.assign({ source: 'so-replica' }, msg), parentOrigin); } catch (_) { /* shell gone */ }
  };
  document.documentElement.dataset.replicaFrame = page;
  if (page === 'blank') return; // a prepared, idle frame of the pool

  const ctx = {
    style: 'fluent',
    appId: p.get('appId') || '',
    appName: p.get('so_app') || 'Contoso Billing API',
    existing: p.get('so_existing') !== '0',
    kind: p.get('so_kind') || 'current',
    render: p.get('so_render') || 'text',
    rerender: p.get('so_rerender') === '1',
    title: p.get('title') || '',
    kv: { vault: p.get('vault') || 'contoso-kv', name: p.get('name') || 'app-secret', version: p.get('version') || '' },
    navigate: (hash) => post({ type: 'navigate', hash }),
    notify: (key) => post({ type: 'notify', key }),
    ready: (blade) => { document.documentElement.dataset.replicaReady = blade; post({ type: 'ready', blade }); },
    inserted: (info) => post(Object.assign({ type: 'inserted' }, info)),
  };
  const root = document.getElementById('root');
  const render = { credentials: Blades.credentials, overview: Blades.overview, keyvault: Blades.keyvault }[page] || Blades.placeholder;
  render(root, ctx);
})();
