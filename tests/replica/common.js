// Shared helpers of the replica portal: parameters, labels, dates, DOM building, API.
// Loaded by the shell (index.html) and by every reactblade iframe document.
'use strict';

const SO = (() => {
  const params = new URLSearchParams(location.search);
  // Leak sentinel (e2e leak scan): every value this document draws (SO.drew) belongs in its
  // secret row. A DOM change anywhere else that carries one (an added node's markup, an
  // attribute, a text, in the document or in a shadow root attached by this world) is
  // reported to the replica server as POST /api/leak, saying where, never the value.
  // It takes the native APIs before the hostile mode below replaces them.
  const drawn = new Set();
  const NativeObserver = window.MutationObserver;
  const closestNative = Element.prototype.closest;
  const qsaNative = Element.prototype.querySelectorAll;
  const ROW = '[data-testid=secret-row]';
  // In a secret row, also from inside a shadow root the row hosts.
  const inRow = (n) => {
    let e = n.nodeType === 1 ? n : n.nodeType === 11 ? n.host : (n.parentElement || (n.parentNode && n.parentNode.host));
    while (e) { if (closestNative.call(e, ROW)) return true; const root = e.getRootNode(); e = root && root.host; }
    return false;
  };
  const hits = (text) => { let c = 0; for (const v of drawn) c += String(text || '').split(v).length - 1; return c; };
  // Occurrences in a node's markup outside the secret rows it contains.
  const outsideRows = (n) => {
    if (n.nodeType !== 1) return hits(n.textContent);
    let c = hits(n.outerHTML);
    for (const r of qsaNative.call(n, ROW)) c -= hits(r.outerHTML);
    return c;
  };
  const describe = (n) => { const e = n.nodeType === 1 ? n : n.parentElement; return e ? e.tagName + (e.id ? '#' + e.id : '') : String(n.nodeName); };
  const report = (where) => { fetch('/api/leak?where=' + encodeURIComponent(where), { method: 'POST', keepalive: true }).catch(() => {}); };
  const check = (records) => {
    if (!drawn.size) return;
    for (const r of records) {
      if (inRow(r.target)) continue;
      if (r.type === 'attributes') {
        if (hits(r.target.getAttribute(r.attributeName))) report('attribute ' + r.attributeName + ' of ' + describe(r.target));
      } else if (r.type === 'characterData') {
        if (hits(r.target.data)) report('text in ' + describe(r.target));
      } else {
        for (const n of r.addedNodes) if (!inRow(n) && outsideRows(n) > 0) report('node added to ' + describe(r.target));
      }
    }
  };
  const watch = (root) => new NativeObserver(check).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  watch(document);
  const attachNative = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) { const root = attachNative.call(this, init); watch(root); return root; };
  // so_hostile=1: a page that tampers with the DOM, event and clipboard APIs before the
  // content script runs (e2e "hostile page"). Content scripts run in a world of their own:
  // none of this may reach ShownOnce. What the page caught goes into window.__soCaught.
  // Only row/cell selectors are blanked, so the test's own lookups still work.
  if (params.get('so_hostile') === '1') {
    const caught = (window.__soCaught = { observers: 0, queries: 0, listeners: [], clipboard: [] });
    window.MutationObserver = class { constructor() { caught.observers++; } observe() {} disconnect() {} takeRecords() { return []; } };
    const gridSel = (s) => /row|cell|\btr\b|\btd\b/i.test(String(s));
    for (const proto of [Element.prototype, Document.prototype, DocumentFragment.prototype]) {
      const qsa = proto.querySelectorAll;
      proto.querySelectorAll = function (s) {
        if (!gridSel(s)) return qsa.call(this, s);
        caught.queries++;
        return qsa.call(document.createDocumentFragment(), 'x');
      };
    }
    const closest = Element.prototype.closest;
    Element.prototype.closest = function (s) { if (!gridSel(s)) return closest.call(this, s); caught.queries++; return null; };
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (type, f, o) {
      if (['copy', 'pagehide', 'beforeunload', 'keydown'].includes(type)) { caught.listeners.push(type); return undefined; }
      return add.call(this, type, f, o);
    };
    if (navigator.clipboard) navigator.clipboard.writeText = (t) => { caught.clipboard.push(String(t)); return Promise.resolve(); };
  }
  const lang = ['en', 'de', 'ja'].includes(params.get('l')) ? params.get('l') : 'en';

  const PORTAL_HOSTS = ['portal.azure.com', 'ms.portal.azure.com', 'rc.portal.azure.com',
    'preview.portal.azure.com', 'portal.azure.us', 'entra.microsoft.com'];

  const LABELS = {
    en: {
      certsSecrets: 'Certificates & secrets', certificates: 'Certificates', clientSecrets: 'Client secrets',
      federated: 'Federated credentials', newSecret: 'New client secret', description: 'Description',
      expires: 'Expires', value: 'Value', secretId: 'Secret ID', copy: 'Copy to clipboard', copied: 'Copied',
      addTitle: 'Add a client secret', add: 'Add', cancel: 'Cancel',
      d180: 'Recommended: 180 days (6 months)', d90: '90 days (3 months)', d365: '365 days (12 months)',
      d545: '545 days (18 months)', d730: '730 days (24 months)', custom: 'Custom', start: 'Start', end: 'End',
      secretsEmpty: 'No client secrets have been created for this application.',
      certsEmpty: 'No certificates have been added for this application.',
      fedEmpty: 'No federated credentials have been added for this application.',
      valueTip: 'Client secret values cannot be viewed, except for immediately after creation. Be sure to save the secret when created before leaving the page.',
      secretsIntro: 'A secret string that the application uses to prove its identity when requesting a token. Also can be referred to as application password.',
      certsIntro: 'Credentials enable confidential applications to identify themselves to the authentication service when receiving tokens at a web addressable location (using an HTTPS scheme). For a higher level of assurance, we recommend using a certificate (instead of a client secret) as a credential.',
      added: 'Successfully updated {app} credentials', adding: 'Adding client secret…',
      home: 'Home', appRegs: 'App registrations', overview: 'Overview', quickstart: 'Quickstart',
      branding: 'Branding & properties', authentication: 'Authentication', tokenConfig: 'Token configuration',
      apiPermissions: 'API permissions', exposeApi: 'Expose an API', appRoles: 'App roles', owners: 'Owners',
      manifest: 'Manifest', manage: 'Manage', close: 'Close', essentials: 'Essentials',
      displayName: 'Display name', appId: 'Application (client) ID', objectId: 'Object ID',
      tenantId: 'Directory (tenant) ID', accountTypes: 'Supported account types', myOrg: 'My organization only',
      clientCreds: 'Client credentials', credsSummary: '0 certificate, {n} secret', appRegistration: 'App registration',
      search: 'Search resources, services, and docs (G+/)', allApps: 'All applications', ownedApps: 'Owned applications',
      createdOn: 'Created on', newRegistration: 'New registration', comingSoon: 'This blade is not part of the replica.',
      kvTitle: 'Secret Version', kvShow: 'Show Secret Value', kvHide: 'Hide Secret Value', kvValue: 'Secret value',
      kvId: 'Secret Identifier', kvEnabled: 'Enabled', kvYes: 'Yes', kvSecrets: 'Secrets', kvActivation: 'Activation date',
      kvExpiration: 'Expiration date', kvContentType: 'Content type (optional)', otherResources: 'Other resources in this directory',
      services: 'Azure services', logStream: 'Log stream', type: 'Type', status: 'Status',
    },
    de: {
      certsSecrets: 'Zertifikate & Geheimnisse', certificates: 'Zertifikate', clientSecrets: 'Geheime Clientschlüssel',
      federated: 'Verbundanmeldeinformationen', newSecret: 'Neuer geheimer Clientschlüssel', description: 'Beschreibung',
      expires: 'Gültig bis', value: 'Wert', secretId: 'Geheimnis-ID', copy: 'In Zwischenablage kopieren', copied: 'Kopiert',
      addTitle: 'Geheimen Clientschlüssel hinzufügen', add: 'Hinzufügen', cancel: 'Abbrechen',
      d180: 'Empfohlen: 180 Tage (6 Monate)', d90: '90 Tage (3 Monate)', d365: '365 Tage (12 Monate)',
      d545: '545 Tage (18 Monate)', d730: '730 Tage (24 Monate)', custom: 'Benutzerdefiniert', start: 'Start', end: 'Ende',
      secretsEmpty: 'Für diese Anwendung wurden keine geheimen Clientschlüssel erstellt.',
      certsEmpty: 'Für diese Anwendung wurden keine Zertifikate hinzugefügt.',
      fedEmpty: 'Für diese Anwendung wurden keine Verbundanmeldeinformationen hinzugefügt.',
      valueTip: 'Werte geheimer Clientschlüssel können nur unmittelbar nach der Erstellung angezeigt werden. Speichern Sie den Schlüssel, bevor Sie die Seite verlassen.',
      secretsIntro: 'Eine geheime Zeichenfolge, mit der die Anwendung beim Anfordern eines Tokens ihre Identität nachweist. Wird auch als Anwendungskennwort bezeichnet.',
      certsIntro: 'Mit Anmeldeinformationen können sich vertrauliche Anwendungen beim Authentifizierungsdienst identifizieren, wenn sie Token an einem über das Web adressierbaren Speicherort (per HTTPS) empfangen.',
      added: 'Die Anmeldeinformationen für {app} wurden erfolgreich aktualisiert.', adding: 'Geheimer Clientschlüssel wird hinzugefügt…',
      home: 'Startseite', appRegs: 'App-Registrierungen', overview: 'Übersicht', quickstart: 'Schnellstart',
      branding: 'Branding & Eigenschaften', authentication: 'Authentifizierung', tokenConfig: 'Tokenkonfiguration',
      apiPermissions: 'API-Berechtigungen', exposeApi: 'API verfügbar machen', appRoles: 'App-Rollen', owners: 'Besitzer',
      manifest: 'Manifest', manage: 'Verwalten', close: 'Schließen', essentials: 'Zusammenfassung',
      displayName: 'Anzeigename', appId: 'Anwendungs-ID (Client)', objectId: 'Objekt-ID',
      tenantId: 'Verzeichnis-ID (Mandant)', accountTypes: 'Unterstützte Kontotypen', myOrg: 'Nur meine Organisation',
      clientCreds: 'Clientanmeldeinformationen', credsSummary: '0 Zertifikat, {n} Geheimnis', appRegistration: 'App-Registrierung',
      search: 'Ressourcen, Dienste und Dokumente durchsuchen (G+/)', allApps: 'Alle Anwendungen', ownedApps: 'Eigene Anwendungen',
      createdOn: 'Erstellt am', newRegistration: 'Neue Registrierung', comingSoon: 'Dieses Blatt ist nicht Teil des Nachbaus.',
      kvTitle: 'Geheimnisversion', kvShow: 'Geheimniswert anzeigen', kvHide: 'Geheimniswert ausblenden', kvValue: 'Geheimniswert',
      kvId: 'Geheimnisbezeichner', kvEnabled: 'Aktiviert', kvYes: 'Ja', kvSecrets: 'Geheimnisse', kvActivation: 'Aktivierungsdatum',
      kvExpiration: 'Ablaufdatum', kvContentType: 'Inhaltstyp (optional)', otherResources: 'Weitere Ressourcen in diesem Verzeichnis',
      services: 'Azure-Dienste', logStream: 'Protokollstream', type: 'Typ', status: 'Status',
    },
    ja: {
      certsSecrets: '証明書とシークレット', certificates: '証明書', clientSecrets: 'クライアント シークレット',
      federated: 'フェデレーション資格情報', newSecret: '新しいクライアント シークレット', description: '説明',
      expires: '有効期限', value: '値', secretId: 'シークレット ID', copy: 'コピー', copied: 'コピーしました',
      addTitle: 'クライアント シークレットの追加', add: '追加', cancel: 'キャンセル',
      d180: '推奨: 180 日 (6 か月)', d90: '90 日 (3 か月)', d365: '365 日 (12 か月)',
      d545: '545 日 (18 か月)', d730: '730 日 (24 か月)', custom: 'カスタム', start: '開始', end: '終了',
      secretsEmpty: 'このアプリケーションに対して作成されたクライアント シークレットはありません。',
      certsEmpty: 'このアプリケーションに追加された証明書はありません。',
      fedEmpty: 'このアプリケーションに追加されたフェデレーション資格情報はありません。',
      valueTip: 'クライアント シークレットの値は、作成直後を除き表示できません。ページを離れる前に、作成時にシークレットを必ず保存してください。',
      secretsIntro: 'トークンを要求するときにアプリケーションが自身の ID を証明するために使用するシークレット文字列。アプリケーション パスワードとも呼ばれます。',
      certsIntro: '資格情報を使用すると、機密アプリケーションは、Web アドレス指定可能な場所 (HTTPS スキームを使用) でトークンを受信するときに、認証サービスに対して自身を識別できます。',
      added: '{app} の資格情報が正常に更新されました', adding: 'クライアント シークレットを追加しています…',
      home: 'ホーム', appRegs: 'アプリの登録', overview: '概要', quickstart: 'クイック スタート',
      branding: 'ブランドとプロパティ', authentication: '認証', tokenConfig: 'トークン構成',
      apiPermissions: 'API のアクセス許可', exposeApi: 'API の公開', appRoles: 'アプリ ロール', owners: '所有者',
      manifest: 'マニフェスト', manage: '管理', close: '閉じる', essentials: '基本',
      displayName: '表示名', appId: 'アプリケーション (クライアント) ID', objectId: 'オブジェクト ID',
      tenantId: 'ディレクトリ (テナント) ID', accountTypes: 'サポートされているアカウントの種類', myOrg: '所属する組織のみ',
      clientCreds: 'クライアントの資格情報', credsSummary: '0 個の証明書、{n} 個のシークレット', appRegistration: 'アプリの登録',
      search: 'リソース、サービス、ドキュメントの検索 (G+/)', allApps: 'すべてのアプリケーション', ownedApps: '所有しているアプリケーション',
      createdOn: '作成日', newRegistration: '新規登録', comingSoon: 'このブレードはレプリカに含まれていません。',
      kvTitle: 'シークレットのバージョン', kvShow: 'シークレット値を表示', kvHide: 'シークレット値を非表示', kvValue: 'シークレット値',
      kvId: 'シークレット識別子', kvEnabled: '有効', kvYes: 'はい', kvSecrets: 'シークレット', kvActivation: 'アクティブ化する日',
      kvExpiration: '有効期限', kvContentType: 'コンテンツの種類 (省略可能)', otherResources: 'このディレクトリ内のその他のリソース',
      services: 'Azure サービス', logStream: 'ログ ストリーム', type: '種類', status: '状態',
    },
  };
  const L = LABELS[lang];

  /** Label `key` in the page language, with `{name}` placeholders filled from `vars`. */
  function t(key, vars) {
    let s = L[key] || LABELS.en[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace('{' + k + '}', String(v));
    return s;
  }

  /** Date as the portal shows it: en `5/26/2027`, de `26.5.2027`, ja `2027/5/26`. */
  function formatDate(y, m, d) {
    if (lang === 'de') return `${d}.${m}.${y}`;
    if (lang === 'ja') return `${y}/${m}/${d}`;
    return `${m}/${d}/${y}`;
  }
  /** Display an ISO date (`2027-05-26T...`) without any time-zone shift. */
  function formatIso(iso) {
    const [y, m, d] = String(iso).slice(0, 10).split('-').map(Number);
    return formatDate(y, m, d);
  }
  /** Local date `days` from today: {iso: 'YYYY-MM-DDT00:00:00Z', shown}. */
  function dateFromToday(days) {
    const dt = new Date();
    dt.setHours(12, 0, 0, 0);
    dt.setDate(dt.getDate() + days);
    const y = dt.getFullYear(), m = dt.getMonth() + 1, d = dt.getDate();
    const iso = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T00:00:00Z`;
    return { iso, shown: formatDate(y, m, d) };
  }

  /**
   * Builds an element: el('div', {class: 'x', 'data-testid': 'y', onclick: fn}, child, 'text', [more]).
   * Properties starting with `on` become listeners; `style` may be a string.
   */
  function el(tag, attrs, ...children) {
    const svg = tag === 'svg' || tag === 'path';
    const e = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    append(e, children);
    return e;
  }
  function append(parent, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      parent.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return parent;
  }

  /** Small inline SVG icons (no fonts, no images: nothing the CSP could block). */
  const ICONS = {
    copy: 'M4 4V1h11v11h-3v3H1V4h3zm1 0h7v7h2V2H5v2zM2 5v9h9V5H2z',
    close: 'M2.3 1.6 8 7.3l5.7-5.7.7.7L8.7 8l5.7 5.7-.7.7L8 8.7l-5.7 5.7-.7-.7L7.3 8 1.6 2.3z',
    add: 'M7.5 1h1v6.5H15v1H8.5V15h-1V8.5H1v-1h6.5z',
    info: 'M8 1a7 7 0 1 1 0 14A7 7 0 0 1 8 1zm0 1a6 6 0 1 0 0 12A6 6 0 0 0 8 2zm-.5 5h1v5h-1zm0-2h1v1h-1z',
    refresh: 'M8 2a6 6 0 0 1 5.2 3H11v1h4V2h-1v2.1A7 7 0 1 0 15 8h-1a6 6 0 1 1-6-6z',
    delete: 'M6 1h4v1h4v1H2V2h4zM3 4h10l-1 11H4zm1.1 1 .8 9h6.2l.8-9z',
    chevron: 'M5.6 1.6 12 8l-6.4 6.4-.7-.7L10.6 8 4.9 2.3z',
    key: 'M10 1a5 5 0 1 1-1.6 9.7L7 12H5v2H3v1H1v-3.4l4.3-4.3A5 5 0 0 1 10 1zm1 3a1 1 0 1 0 0 2 1 1 0 0 0 0-2z',
  };
  function icon(name, cls) {
    return el('svg', { class: cls || 'so-icon', viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', focusable: 'false' },
      el('path', { d: ICONS[name] || ICONS.info, fill: 'currentColor' }));
  }

  async function api(path, body) {
    const init = body === undefined ? {} : {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    };
    const r = await fetch(path, init);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r.json();
  }

  /** Copies with the async clipboard API; failures are silent (as the portal's copy button). */
  function copyText(text, button) {
    try {
      const p = navigator.clipboard && navigator.clipboard.writeText(text);
      if (p && p.then) p.then(() => flash(button), () => {});
    } catch (_) { /* silently ignored */ }
  }
  function flash(button) {
    if (!button) return;
    button.classList.add('is-copied');
    setTimeout(() => button.classList.remove('is-copied'), 1200);
  }

  /** Timestamp comparable across frames. */
  function now() { return performance.timeOrigin + performance.now(); }

  /** Scenario parameters passed on from the shell to blade iframes. */
  function scenarioParams() {
    const out = new URLSearchParams();
    for (const [k, v] of params) if (k === 'l' || (k.startsWith('so_') && k !== 'so_frame')) out.set(k, v);
    return out;
  }

  function applyTheme() {
    document.documentElement.lang = lang;
    if (params.get('so_theme') === 'dark') document.documentElement.classList.add('so-dark');
  }

  /** The 5,000-node padding (`so_pad=N`): a table of other resources, N/5 rows of 5 elements. */
  function padding(style) {
    const n = Math.max(0, Math.min(200000, parseInt(params.get('so_pad') || '0', 10) || 0));
    if (!n) return null;
    const rows = Math.ceil(n / 5);
    const kinds = ['App Service', 'Storage account', 'Key vault', 'Function App', 'Virtual network', 'SQL database'];
    const tbody = el('tbody');
    for (let i = 0; i < rows; i++) {
      tbody.appendChild(el('tr', { class: style === 'ko' ? 'fxc-gc-row' : 'ms-DetailsRow-padding' },
        el('td', {}, `contoso-res-${String(i).padStart(5, '0')}`),
        el('td', {}, kinds[i % kinds.length]),
        el('td', {}, `rg-${['west', 'east', 'north'][i % 3]}-${i % 17}`),
        el('td', {}, ['Succeeded', 'Running', 'Stopped'][i % 3])));
    }
    return el('section', { class: 'so-padding', 'data-testid': 'padding', 'data-pad-nodes': rows * 5 },
      el('h3', {}, t('otherResources')),
      el('table', { class: 'so-padding-table' },
        el('thead', {}, el('tr', {}, el('th', {}, t('displayName')), el('th', {}, t('type')), el('th', {}, 'Resource group'), el('th', {}, t('status')))),
        tbody));
  }

  return {
    params, lang, t, formatDate, formatIso, dateFromToday, el, append, icon, api, copyText, now,
    scenarioParams, applyTheme, padding, PORTAL_HOSTS,
    drew: (value) => { drawn.add(String(value)); },
    isPortalHost: (h) => PORTAL_HOSTS.includes(h),
  };
})();
