// Blade bodies of the replica portal, drawn in one of two styles:
// - 'ko': the shell's own document, portal "Knockout" classes (fxs-*, azc-*, fxc-gc-*), a <table role=grid>;
// - 'fluent': a reactblade iframe, Fluent UI DetailsList markup (ms-DetailsList, ms-DetailsRow, DetailsRowCell).
// Each renderer takes (root, ctx) and returns a dispose function. ctx:
//   { style, appId, appName, existing, kind, render, rerender, kv: {vault, name, version}, title,
//     navigate(hash), notify(key), ready(blade), inserted({insertedAt, adds}) }
// The drawing document's <html> gets data-replica-adds and data-replica-value-inserted-at
// (performance.timeOrigin + performance.now(), set right after a fresh value enters the DOM).
'use strict';

const Blades = (() => {
  const { el, t, icon } = SO;

  // A copyable text drawn as a web component with an open shadow root (so_render=shadow).
  if (!customElements.get('so-copyable-text')) {
    customElements.define('so-copyable-text', class extends HTMLElement {
      constructor() { super(); this.attachShadow({ mode: 'open' }); }
      setValue(text, button) {
        // Sized like the text rendering (.so-value), so the button stays inside its cell.
        const style = el('style', {}, ':host { display: inline-flex; align-items: center; gap: 2px; max-width: 100%; font-family: Consolas, "Courier New", monospace; font-size: 12px; } span { overflow-wrap: anywhere; min-width: 0; } button { flex: none; border: 0; background: transparent; width: 28px; height: 28px; color: #0078d4; cursor: pointer; }');
        this.shadowRoot.replaceChildren(style, el('span', { part: 'text' }, text), button);
      }
    });
  }

  /** Marks the drawing document for tests/benchmarks (page world, harmless). */
  function mark(name, value) { document.documentElement.dataset[name] = String(value); }

  function copyButton(text, testid, style) {
    const label = t('copy');
    const b = el('button', {
      type: 'button', title: label, 'aria-label': label, 'data-testid': testid,
      class: style === 'ko' ? 'azc-copyableLabel-button fxs-button-icon' : 'ms-Button ms-Button--icon so-copy',
    }, el('span', { class: style === 'ko' ? 'azc-copyableLabel-icon' : 'ms-Button-flexContainer' }, icon('copy')));
    b.addEventListener('click', (e) => { e.preventDefault(); SO.copyText(typeof text === 'function' ? text() : text, b); });
    return b;
  }

  // ---------------------------------------------------------------- Certificates & secrets
  function credentials(root, ctx) {
    const ko = ctx.style === 'ko';
    const st = {
      tab: ['certificates', 'secrets', 'federated'].includes(SO.params.get('so_tab')) ? SO.params.get('so_tab') : 'secrets',
      creds: [], fresh: new Map(), pendingInsert: new Set(), panel: false, busy: false, loaded: false, disposed: false,
    };
    let adds = 0;
    let timer = null;
    let rowsHost = null; // element whose children are the row elements (tbody / ms-List-page)
    const panelHost = el('div', { class: ko ? 'fxs-contextpane-host' : 'ms-Layer-host' });
    const body = el('div', { class: ko ? 'fxs-blade-content-wrapper' : 'so-blade-body' });
    root.replaceChildren(el('div', {
      class: ko ? 'so-credentials fxs-part' : 'so-credentials ms-Fabric', 'data-testid': 'credentials-blade',
    }, body, SO.padding(ctx.style)), panelHost);

    function tabLabel(key, n) { return `${t(key)} (${n})`; }

    function renderAll() {
      const tabs = [
        ['certificates', 'certificates', 0], ['secrets', 'clientSecrets', st.creds.length], ['federated', 'federated', 0],
      ].map(([id, key, n]) => el('button', {
        type: 'button', role: 'tab', id: `tab-${id}`, 'data-testid': `tab-${id}`, 'aria-selected': String(st.tab === id),
        class: ko ? `azc-tabs-tab${st.tab === id ? ' azc-tabs-tab-selected' : ''}` : `ms-Pivot-link${st.tab === id ? ' is-selected' : ''}`,
        onclick: () => { st.tab = id; renderAll(); },
      }, ko ? tabLabel(key, n) : el('span', { class: 'ms-Pivot-linkContent' }, el('span', { class: 'ms-Pivot-text' }, tabLabel(key, n)))));

      rowsHost = null;
      let panel;
      if (st.tab === 'secrets') panel = secretsTab();
      else panel = el('div', { class: 'so-empty' }, t(st.tab === 'certificates' ? 'certsEmpty' : 'fedEmpty'));

      body.replaceChildren(
        el('p', { class: 'so-intro' }, t('certsIntro')),
        el('div', { role: 'tablist', class: ko ? 'azc-tabs' : 'ms-Pivot ms-Pivot--tabs', 'aria-label': t('certsSecrets') }, tabs),
        el('div', { role: 'tabpanel', class: ko ? 'azc-tabs-panel' : 'so-tabpanel', 'aria-labelledby': `tab-${st.tab}` }, panel));
      if (rowsHost) fillRows();
    }

    function secretsTab() {
      const cmd = el('div', { role: 'toolbar', class: ko ? 'fxs-commandBar' : 'ms-CommandBar' },
        el('button', {
          type: 'button', 'data-testid': 'new-secret', id: 'new-secret',
          class: ko ? 'fxs-commandBar-item' : 'ms-Button ms-Button--commandBar',
          onclick: openPanel,
        }, icon('add'), el('span', { class: ko ? 'fxs-commandBar-item-text' : 'ms-Button-label' }, t('newSecret'))));
      const intro = el('p', { class: 'so-intro' }, t('secretsIntro'));
      if (!st.creds.length) return el('div', {}, intro, cmd, el('div', { class: 'so-empty', 'data-testid': 'secrets-empty' }, t('secretsEmpty')));

      const cols = [['description', 'description'], ['expires', 'expires'], ['value', 'value'], ['secretId', 'secretId'], ['delete', null]];
      const headerCell = ([key, label], i) => {
        const name = label ? t(label) : '';
        const tip = key === 'value' ? el('span', { class: 'so-info', title: t('valueTip'), 'aria-label': t('valueTip'), role: 'img' }, icon('info')) : null;
        return ko
          ? el('th', { role: 'columnheader', class: 'fxc-gc-columnheader', 'data-column-key': key, 'aria-colindex': i + 1 },
            el('div', { class: 'fxc-gc-columnheader-content' }, name, tip))
          : el('div', { role: 'columnheader', class: 'ms-DetailsHeader-cell', 'data-item-key': key, 'aria-colindex': i + 1 },
            el('span', { class: 'ms-DetailsHeader-cellTitle' }, el('span', { class: 'ms-DetailsHeader-cellName' }, name), tip));
      };
      let grid;
      if (ko) {
        rowsHost = el('tbody', { class: 'azc-grid-groupdata', role: 'rowgroup' });
        grid = el('div', { class: 'azc-grid fxc-gc fxc-gc-dataGrid', 'data-testid': 'secrets-grid' },
          el('table', { role: 'grid', class: 'azc-grid-full fxc-gc-table', 'aria-label': t('clientSecrets'), 'aria-rowcount': st.creds.length + 1 },
            el('thead', { role: 'rowgroup' }, el('tr', { role: 'row', class: 'fxc-gc-columnheader-row' }, cols.map(headerCell))),
            rowsHost));
      } else {
        rowsHost = el('div', { class: 'ms-List-page', role: 'presentation' });
        grid = el('div', { class: 'ms-DetailsList is-horizontalConstrained', 'data-testid': 'secrets-grid', 'data-automationid': 'DetailsList' },
          el('div', { role: 'grid', class: 'ms-DetailsList-root', 'aria-label': t('clientSecrets'), 'aria-rowcount': st.creds.length + 1, 'aria-colcount': cols.length },
            el('div', { role: 'presentation', class: 'ms-DetailsList-headerWrapper' },
              el('div', { role: 'row', class: 'ms-DetailsHeader', 'data-automationid': 'DetailsHeader', 'aria-rowindex': 1 }, cols.map(headerCell))),
            el('div', { role: 'presentation', class: 'ms-DetailsList-contentWrapper' },
              el('div', { class: 'ms-FocusZone', role: 'presentation' }, el('div', { class: 'ms-SelectionZone', role: 'presentation' },
                el('div', { class: 'ms-List', role: 'presentation' }, el('div', { class: 'ms-List-surface', role: 'presentation' }, rowsHost)))))));
      }
      return el('div', {}, intro, cmd, grid);
    }

    /** Destroys every row element and recreates it from the model (virtualised list behaviour). */
    function fillRows() {
      if (!rowsHost || !rowsHost.isConnected) return;
      const frag = document.createDocumentFragment();
      st.creds.forEach((c, i) => frag.appendChild(row(c, i)));
      rowsHost.replaceChildren(frag);
      if (st.pendingInsert.size) {
        const at = SO.now();
        st.pendingInsert.clear();
        mark('replicaValueInsertedAt', at);
        ctx.inserted && ctx.inserted({ insertedAt: at, adds });
      }
    }

    /**
     * The other ways the portal draws a copyable value (so_render):
     * - 'input': a read-only text box (Fluent TextField / azc-textBox); the value is set as a
     *   property only, as a framework does, so it is in no attribute and no text node;
     * - 'shadow': a web component whose open shadow root holds the text and its own copy button.
     */
    function freshValue(full) {
      if (ctx.render === 'shadow') {
        const c = document.createElement('so-copyable-text');
        c.setValue(full, copyButton(full, 'copy-value', ctx.style));
        return c;
      }
      const input = el('input', {
        type: 'text', readonly: true, 'aria-label': t('value'), 'data-testid': 'value-box',
        class: ko ? 'azc-input azc-textBox so-value-box' : 'ms-TextField-field so-value-box',
      });
      input.value = full;
      return el('div', { class: ko ? 'azc-copyableLabel so-value' : 'so-value' }, input, copyButton(full, 'copy-value', ctx.style));
    }

    function row(c, i) {
      const full = st.fresh.get(c.keyId);
      const valueText = full !== undefined ? full : c.hint + '*'.repeat(18);
      const cells = [
        ['description', el('span', {}, c.displayName || '')],
        ['expires', el('span', {}, SO.formatIso(c.endDateTime))],
        ['value', full !== undefined && ctx.render !== 'text' ? freshValue(full) : el('div', { class: ko ? 'azc-copyableLabel so-value' : 'so-value' },
          el('span', { class: 'so-value-text' }, valueText),
          full !== undefined ? copyButton(full, 'copy-value', ctx.style) : null)],
        ['secretId', el('div', { class: ko ? 'azc-copyableLabel so-value' : 'so-value' },
          el('span', { class: 'so-value-text' }, c.keyId), copyButton(c.keyId, 'copy-secret-id', ctx.style))],
        ['delete', el('button', { type: 'button', class: ko ? 'fxs-button-icon' : 'ms-Button ms-Button--icon', title: 'Delete', 'aria-label': 'Delete', 'data-testid': 'delete-secret' }, icon('delete'))],
      ];
      if (ko) {
        return el('tr', { role: 'row', class: 'fxc-gc-row azc-grid-row', 'aria-rowindex': i + 2, 'data-testid': 'secret-row' },
          cells.map(([key, content], j) => el('td', { role: 'gridcell', class: 'fxc-gc-cell', 'data-column-key': key, 'aria-colindex': j + 1 },
            el('div', { class: 'fxc-gc-cell-content' }, content))));
      }
      return el('div', { class: 'ms-List-cell', 'data-list-index': i, 'data-automationid': 'ListCell', role: 'presentation' },
        el('div', { role: 'row', class: 'ms-DetailsRow', 'data-automationid': 'DetailsRow', 'data-selection-index': i, 'aria-rowindex': i + 2, 'data-testid': 'secret-row' },
          el('div', { class: 'ms-DetailsRow-fields', 'data-automationid': 'DetailsRowFields', role: 'presentation' },
            cells.map(([key, content], j) => el('div', {
              role: key === 'description' ? 'rowheader' : 'gridcell', class: 'ms-DetailsRow-cell', 'data-automationid': 'DetailsRowCell',
              'data-automation-key': key, 'aria-colindex': j + 1,
            }, content)))));
    }

    // ---- "Add a client secret" side pane
    function openPanel() {
      st.panel = true;
      const opts = [['180', 'd180'], ['90', 'd90'], ['365', 'd365'], ['545', 'd545'], ['730', 'd730'], ['custom', 'custom']];
      const desc = el('input', { type: 'text', id: 'desc-input', 'data-testid': 'desc-input', class: ko ? 'azc-input azc-textBox' : 'ms-TextField-field', maxlength: 1024, autocomplete: 'off' });
      const sel = el('select', { id: 'expires-select', 'data-testid': 'expires-select', class: ko ? 'azc-input azc-dropdown' : 'ms-Dropdown' },
        opts.map(([v, k]) => el('option', { value: v }, t(k))));
      const start = el('input', { type: 'date', 'data-testid': 'start-input', class: ko ? 'azc-input' : 'ms-TextField-field', value: SO.dateFromToday(0).iso.slice(0, 10) });
      const end = el('input', { type: 'date', 'data-testid': 'end-input', class: ko ? 'azc-input' : 'ms-TextField-field', value: SO.dateFromToday(180).iso.slice(0, 10) });
      const custom = el('div', { class: 'so-custom', hidden: true },
        field(t('start'), start), field(t('end'), end));
      sel.addEventListener('change', () => { custom.hidden = sel.value !== 'custom'; });
      const addBtn = el('button', {
        type: 'button', 'data-testid': 'add-button', id: 'add-button',
        class: ko ? 'fxs-button fxt-button fxs-portal-button-primary' : 'ms-Button ms-Button--primary', onclick: () => add(desc.value, sel.value, end.value, addBtn),
      }, t('add'));
      const cancel = el('button', {
        type: 'button', 'data-testid': 'cancel-button', class: ko ? 'fxs-button fxt-button fxs-portal-button-secondary' : 'ms-Button ms-Button--default', onclick: closePanel,
      }, t('cancel'));
      function field(label, input) {
        return el('div', { class: ko ? 'azc-formElementContainer' : 'ms-TextField' },
          el('label', { class: ko ? 'azc-form-label' : 'ms-Label', for: input.id || null }, label),
          el('div', { class: ko ? 'azc-formElement' : 'ms-TextField-fieldGroup' }, input));
      }
      const pane = ko
        ? el('div', { class: 'fxs-contextpane fxs-panel so-panel', role: 'dialog', 'aria-label': t('addTitle'), 'data-testid': 'add-secret-panel' },
          el('header', { class: 'fxs-contextpane-header' }, el('h2', { class: 'fxs-contextpane-title' }, t('addTitle')),
            el('button', { type: 'button', class: 'fxs-button-icon', 'aria-label': t('close'), 'data-testid': 'panel-close', onclick: closePanel }, icon('close'))),
          el('div', { class: 'fxs-contextpane-content azc-form' }, field(t('description'), desc), field(t('expires'), sel), custom),
          el('footer', { class: 'fxs-contextpane-footer' }, addBtn, cancel))
        : el('div', { class: 'ms-Layer' }, el('div', { class: 'ms-Panel is-open ms-Panel--medium so-panel', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('addTitle'), 'data-testid': 'add-secret-panel' },
          el('div', { class: 'ms-Overlay', onclick: closePanel }),
          el('div', { class: 'ms-Panel-main' },
            el('div', { class: 'ms-Panel-commands' }, el('div', { class: 'ms-Panel-header' }, el('div', { class: 'ms-Panel-headerText', role: 'heading', 'aria-level': 1 }, t('addTitle'))),
              el('button', { type: 'button', class: 'ms-Panel-closeButton ms-Button ms-Button--icon', 'aria-label': t('close'), 'data-testid': 'panel-close', onclick: closePanel }, icon('close'))),
            el('div', { class: 'ms-Panel-scrollableContent' }, el('div', { class: 'ms-Panel-content' }, field(t('description'), desc), field(t('expires'), sel), custom)),
            el('div', { class: 'ms-Panel-footer' }, el('div', { class: 'ms-Panel-footerInner' }, addBtn, cancel)))));
      panelHost.replaceChildren(pane);
      desc.focus();
    }
    function closePanel() { st.panel = false; panelHost.replaceChildren(); }

    async function add(description, expires, customEnd, button) {
      if (st.busy) return;
      st.busy = true;
      button.disabled = true;
      let end;
      if (expires === 'custom' && /^\d{4}-\d{2}-\d{2}$/.test(customEnd)) {
        const [y, m, d] = customEnd.split('-').map(Number);
        end = { iso: `${customEnd}T00:00:00Z`, shown: SO.formatDate(y, m, d) };
      } else {
        end = SO.dateFromToday(parseInt(expires, 10) || 180);
      }
      try {
        const r = await SO.api('/api/addPassword', {
          displayName: description, endDateTime: end.iso, kind: ctx.kind, appId: ctx.appId, lang: SO.lang, displayedEndDate: end.shown,
        });
        if (st.disposed) return;
        st.creds.unshift({ keyId: r.keyId, hint: r.hint, displayName: r.displayName, endDateTime: r.endDateTime });
        SO.drew(r.secretText); st.fresh.set(r.keyId, r.secretText);
        st.pendingInsert.add(r.keyId);
        adds += 1;
        mark('replicaAdds', adds);
        closePanel();
        st.tab = 'secrets';
        renderAll();
        ctx.notify && ctx.notify('added');
      } catch (e) {
        console.warn('replica: addPassword failed', e);
      } finally {
        st.busy = false;
        button.disabled = false;
      }
    }

    (async () => {
      try {
        const q = new URLSearchParams({ appId: ctx.appId, existing: ctx.existing ? '1' : '0' });
        const list = await SO.api('/api/passwordCredentials?' + q);
        if (st.disposed) return;
        st.creds = list.value.map((c) => ({ keyId: c.keyId, hint: c.hint, displayName: c.displayName, endDateTime: c.endDateTime }));
      } catch (e) { console.warn('replica: list failed', e); }
      st.loaded = true;
      renderAll();
      if (ctx.rerender) timer = setInterval(() => { if (st.tab === 'secrets') fillRows(); }, 250);
      ctx.ready && ctx.ready('credentials');
    })();
    body.appendChild(el('div', { class: 'so-loading' }, '…'));

    return () => { st.disposed = true; if (timer) clearInterval(timer); st.fresh.clear(); };
  }

  // ---------------------------------------------------------------- Overview
  function overview(root, ctx) {
    const ko = ctx.style === 'ko';
    let disposed = false;
    root.replaceChildren(el('div', { class: 'so-loading' }, '…'));
    (async () => {
      let app = { tenantId: '', id: '', secretCount: 0 };
      try { app = await SO.api('/api/app?' + new URLSearchParams({ appId: ctx.appId, existing: ctx.existing ? '1' : '0' })); } catch (_) { /* keep blanks */ }
      if (disposed) return;
      const credsHash = `#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Credentials/appId/${ctx.appId}/isMSAApp~/false`;
      const credsLink = el('a', { href: credsHash, 'data-testid': 'overview-creds-link' }, t('credsSummary', { n: app.secretCount }));
      if (ctx.navigate) credsLink.addEventListener('click', (e) => { e.preventDefault(); ctx.navigate(credsHash); });
      const items = [
        [t('displayName'), el('span', { 'data-testid': 'overview-name' }, ctx.appName)],
        [t('appId'), el('span', { class: 'so-value' }, el('span', { 'data-testid': 'overview-app-id' }, ctx.appId), copyButton(ctx.appId, 'copy-app-id', ctx.style))],
        [t('objectId'), el('span', { class: 'so-value' }, el('span', {}, app.id), copyButton(app.id, 'copy-object-id', ctx.style))],
        [t('tenantId'), el('span', { class: 'so-value' }, el('span', { 'data-testid': 'overview-tenant-id' }, app.tenantId), copyButton(app.tenantId, 'copy-tenant-id', ctx.style))],
        [t('accountTypes'), el('span', {}, t('myOrg'))],
        [t('clientCreds'), credsLink],
      ];
      root.replaceChildren(el('div', { class: ko ? 'so-overview fxs-part' : 'so-overview ms-Fabric', 'data-testid': 'overview-blade' },
        el('h3', { class: ko ? 'fxs-part-title' : 'ms-fontSize-16' }, t('essentials')),
        el('dl', { class: ko ? 'fxc-essentials so-essentials' : 'ms-Stack so-essentials' },
          items.map(([k, v]) => [el('dt', { class: ko ? 'fxc-essentials-label-container' : '' }, k), el('dd', { class: ko ? 'fxc-essentials-value' : '' }, v)])),
        SO.padding(ctx.style)));
      ctx.ready && ctx.ready('overview');
    })();
    return () => { disposed = true; };
  }

  // ---------------------------------------------------------------- Key Vault secret version ("Show Secret Value")
  function keyvault(root, ctx) {
    const ko = ctx.style === 'ko';
    const kv = ctx.kv;
    let disposed = false;
    let revealed = null;
    const idText = `https://${kv.vault}.vault.azure.net/secrets/${kv.name}/${kv.version}`;
    const valueHost = el('div', { class: 'so-kv-value', 'data-testid': 'kv-value-host' });
    const showBtn = el('button', {
      type: 'button', 'data-testid': 'kv-show-secret', class: ko ? 'fxs-button fxt-button' : 'ms-Button ms-Button--default',
      onclick: toggle,
    }, t('kvShow'));
    async function toggle() {
      if (revealed !== null && valueHost.childElementCount) {
        valueHost.replaceChildren();
        showBtn.textContent = t('kvShow');
        return;
      }
      if (revealed === null) {
        showBtn.disabled = true;
        try {
          const r = await SO.api('/api/addPassword', { displayName: `keyvault:${kv.name}`, endDateTime: SO.dateFromToday(365).iso, kind: 'keyvault', lang: SO.lang });
          revealed = r.secretText;
        } catch (e) { console.warn('replica: reveal failed', e); return; } finally { showBtn.disabled = false; }
        if (disposed) return;
      }
      const input = el('input', {
        type: 'text', readonly: true, 'data-testid': 'kv-secret-value', 'aria-label': t('kvValue'),
        class: ko ? 'azc-input azc-textBox so-kv-input' : 'ms-TextField-field so-kv-input', value: revealed,
      });
      input.value = revealed;
      valueHost.replaceChildren(el('label', { class: ko ? 'azc-form-label' : 'ms-Label' }, t('kvValue')),
        el('div', { class: 'so-value' }, input, copyButton(() => revealed, 'kv-copy', ctx.style)));
      showBtn.textContent = t('kvHide');
    }
    const prop = (k, v) => [el('dt', {}, k), el('dd', {}, v)];
    root.replaceChildren(el('div', { class: ko ? 'so-keyvault fxs-part' : 'so-keyvault ms-Fabric', 'data-testid': 'keyvault-blade' },
      el('dl', { class: 'so-essentials' },
        prop(t('kvId'), el('span', { class: 'so-value' }, el('span', {}, idText), copyButton(idText, 'kv-copy-id', ctx.style))),
        prop(t('kvActivation'), SO.formatIso(SO.dateFromToday(-30).iso)),
        prop(t('kvExpiration'), SO.formatIso(SO.dateFromToday(335).iso)),
        prop(t('kvEnabled'), t('kvYes')),
        prop(t('kvContentType'), 'client secret')),
      showBtn, valueHost, SO.padding(ctx.style)));
    setTimeout(() => ctx.ready && ctx.ready('keyvault'), 0);
    return () => { disposed = true; revealed = null; };
  }

  // ---------------------------------------------------------------- Any other blade of the app menu
  function placeholder(root, ctx) {
    root.replaceChildren(el('div', { class: 'so-placeholder', 'data-testid': 'placeholder-blade' },
      el('p', {}, ctx.title || ''), el('p', { class: 'so-muted' }, t('comingSoon'))));
    setTimeout(() => ctx.ready && ctx.ready('other'), 0);
    return () => {};
  }

  return { credentials, overview, keyvault, placeholder };
})();
