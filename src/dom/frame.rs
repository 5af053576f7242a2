//! Per-frame bootstrap and the detection loop.
//!
//! - Cheap check first: a top-level portal page scans only while its hash route is a
//!   Certificates & secrets blade; elsewhere it only listens for `hashchange`. A blade
//!   iframe (it cannot see the shell's route) watches, but the row shape is strict.
//! - The MutationObserver callback only queues nodes; a batch runs on a 0 ms timer, reads
//!   at most [`MAX_ROWS_PER_BATCH`] rows and yields after [`BATCH_BUDGET_MS`].
//! - A detected value stays here, in wasm memory (zeroized on drop), never in the DOM.
//! - Guard: every frame reports its secrets' fingerprints and states to the background; the
//!   top frame is armed by the background (the secret may be in a cross-origin iframe) or by
//!   its own secrets, and then holds `beforeunload` and the Navigation API's `navigate`.
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::{Interval, Timeout};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Node};
use zeroize::Zeroizing;

use crate::core::detect::{detect_row, Detection, Seen};
use crate::core::grid::{app_name_from_title, RowSnapshot};
use crate::core::layout::{layout, Size, Span};
use crate::core::route::{classify_host, fragment_of, parse_route, HostKind, Route};
use crate::core::state::{Lifecycle, SecretEvent, SecretState, StoreKind, StoreOutcome};
use crate::dom::observer::Observer;
use crate::dom::prompt::{Action, Confirm, LeaveChoice, Prompt};
use crate::dom::scan;
use crate::platform::{self, get_str, obj, MessageListener};

const MAX_QUEUE: usize = 512;
const MAX_ROWS_PER_BATCH: usize = 200;
const BATCH_BUDGET_MS: f64 = 8.0;
/// Changed nodes read at once in a microtask (more wait for a task: see `Frame::schedule`).
/// The portal re-renders a few dozen nodes when it adds a secret; a storm replaces hundreds
/// at a time. The batch's own budget (8 ms) bounds the microtask either way.
const QUICK_NODES: usize = 256;
/// How long a blade iframe waits for the tab's route before reading rows without it.
const ROUTE_WAIT_MS: u32 = 3000;
/// How often a frame with prompts looks whether the page covers one.
const COVER_CHECK_MS: u32 = 1000;

/// A secret this frame detected: the value lives only here.
struct Held {
    key: String,
    detection: Detection,
    value: Zeroizing<String>,
    life: Lifecycle,
    prompt: Option<Prompt>,
    /// What the background was last told: the page keeps the prompt from showing.
    blocked: bool,
}

struct Frame {
    doc: Document,
    /// "wasm" or "js" (the wasm2js copy): told to the extension's own pages on request.
    engine: &'static str,
    /// What the observer does here ("idle", "watching", "error"), for the same request.
    scan: &'static str,
    /// Top-level document (sees the route) or a blade iframe (does not).
    top: bool,
    route: Option<Route>,
    observer: Option<Observer>,
    queue: Vec<Node>,
    /// Rows found but not read yet (batch budget ran out), with their freshness.
    carry: Vec<(Element, bool)>,
    /// Read every row on the page once (activation) — those rows are not fresh.
    initial_scan: bool,
    overflow: bool,
    batch: Option<Timeout>,
    /// A microtask batch is due (see [`Frame::schedule`]).
    quick: bool,
    seen: Seen,
    held: Vec<Held>,
    /// The background says another frame of this tab holds an unsaved secret (top frame).
    remote_armed: bool,
    /// A blade iframe waits for the route (its app id goes into a detection) before reading
    /// rows; its observer already queues them, so a row added meanwhile stays fresh.
    route_pending: bool,
    /// Navigation guard listeners, present only while armed (top frame).
    guard: Option<[EventListener; 2]>,
    confirm: Option<Confirm>,
    /// Watches `<html>`'s children while prompts are shown: a page that removed a prompt
    /// frame gets it back at once.
    frames_watch: Option<Observer>,
    /// Looks once a second whether the page covers a prompt (an overlay in the top layer or
    /// a restyled one wakes no observer).
    cover_check: Option<Interval>,
    _messages: Option<MessageListener>,
    _listeners: Vec<EventListener>,
}

thread_local! {
    static FRAME: RefCell<Option<Frame>> = const { RefCell::new(None) };
    /// Set while we re-issue a navigation the user confirmed: our own guard lets it pass.
    static BYPASS: Cell<bool> = const { Cell::new(false) };
}

fn with_frame<R>(f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
    FRAME.with(|cell| cell.try_borrow_mut().ok().and_then(|mut g| g.as_mut().map(f)))
}

/// Starts ShownOnce in this frame (idempotent).
pub fn start(engine: &str) {
    let Some(win) = web_sys::window() else { return };
    let Some(doc) = win.document() else { return };
    // Nothing on the page's nodes says that ShownOnce runs here: the extension's own pages
    // ask the frame (`status` message) instead.
    let engine = if engine == "js" { "js" } else { "wasm" };
    if FRAME.with(|c| c.borrow().is_some()) {
        return;
    }
    let host = win.location().hostname().unwrap_or_default();
    let is_top = win.top().ok().flatten().is_some_and(|t| t == win);
    let top = is_top && matches!(classify_host(&host), HostKind::Portal | HostKind::Entra);
    let mut listeners = Vec::new();
    // Leaving the page wipes the values (Zeroizing on drop).
    listeners.push(EventListener::new(&win, "pagehide", |_| {
        FRAME.with(|c| {
            if let Ok(mut g) = c.try_borrow_mut() {
                *g = None;
            }
        });
    }));
    if top {
        listeners.push(EventListener::new(&win, "hashchange", |_| with_frame(Frame::route_changed).unwrap_or(())));
    }
    // Copy tracking: Ctrl/Cmd+C of a selection holding the value, or a click on the portal's
    // own copy button in the value's row. Trusted events only.
    listeners.push(EventListener::new(&doc, "copy", |e| {
        if e.is_trusted() {
            // Chromium and Firefox both include a selection inside a text box here (the e2e
            // "Ctrl+C in a read-only text box" checks it).
            let sel = web_sys::window().and_then(|w| w.get_selection().ok().flatten()).map(|s| Zeroizing::new(String::from(s.to_string())));
            if let Some(sel) = sel {
                with_frame(|f| f.copied_if(|v| sel.contains(v), SecretEvent::CopiedByKeyboard));
            }
        }
    }));
    listeners.push(EventListener::new_with_options(&doc, "click", gloo_events::EventListenerOptions::run_in_capture_phase(), |e| {
        if !e.is_trusted() {
            return;
        }
        // The button may be inside a web component's shadow root: the event's target is then
        // the component (in the row), the button only in the composed path.
        let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
        let path = e.composed_path();
        let is_button = |el: &Element| el.matches("button,[role=button]").unwrap_or(false);
        let pressed = (0..path.length().min(32)).filter_map(|i| path.get(i).dyn_into::<Element>().ok()).take_while(|el| el != &target).any(|el| is_button(&el));
        if !pressed && target.closest("button,[role=button]").ok().flatten().is_none() {
            return;
        }
        let Some(row) = target.closest(scan::ROW_SEL).ok().flatten() else { return };
        let text = scan::visible_text(&row);
        with_frame(|f| f.copied_if(|v| text.contains(v), SecretEvent::CopiedByPortal));
    }));
    let frame = Frame {
        doc,
        engine,
        scan: "idle",
        top,
        route: None,
        observer: None,
        queue: Vec::new(),
        carry: Vec::new(),
        initial_scan: false,
        overflow: false,
        batch: None,
        quick: false,
        seen: Seen::new(),
        held: Vec::new(),
        remote_armed: false,
        route_pending: !top,
        guard: None,
        confirm: None,
        frames_watch: None,
        cover_check: None,
        // Without the extension APIs (extension reloaded under the page) detection and the
        // prompt still work; only cross-frame arming and the popup are unavailable.
        _messages: MessageListener::new(on_background_message).ok(),
        _listeners: listeners,
    };
    FRAME.with(|c| *c.borrow_mut() = Some(frame));
    if top {
        with_frame(Frame::route_changed);
        // A new top document: the background forgets what the previous one showed, and
        // tells us whether a frame of ours already holds an unsaved secret.
        wasm_bindgen_futures::spawn_local(async {
            if let Ok(r) = platform::send(&obj(&[("type", "topLoaded".into())])).await {
                apply_guard_message(&r);
            }
        });
    } else {
        // A blade iframe learns the portal route (app id; Key Vault or not) from the
        // background, which knows the tab's URL. It watches from now on: a row added while a
        // sleeping background wakes up to answer is fresh (old-format secrets count only in
        // fresh rows). Without an answer within ROUTE_WAIT_MS it reads rows anyway.
        with_frame(Frame::route_changed);
        wasm_bindgen_futures::spawn_local(async {
            let url = crate::platform::ask("tabUrl").await.ok().and_then(|r| crate::platform::get_str(&r, "url"));
            with_frame(|f| {
                f.route = url.as_deref().map(|u| parse_route(fragment_of(u)));
                f.route_pending = false;
                f.route_changed();
                f.schedule();
            });
        });
        Timeout::new(ROUTE_WAIT_MS, || {
            with_frame(|f| {
                if std::mem::take(&mut f.route_pending) {
                    f.schedule();
                }
            });
        })
        .forget();
    }
}

fn enqueue(node: Node) {
    with_frame(|f| {
        if f.queue.len() < MAX_QUEUE {
            f.queue.push(node);
        } else {
            f.overflow = true;
        }
        f.schedule();
    });
}

impl Frame {
    fn mark(&mut self, state: &'static str) {
        self.scan = state;
    }

    /// Re-reads the route (top frame) and switches the observer on or off.
    fn route_changed(&mut self) {
        let active = if self.top {
            let hash = web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default();
            let route = parse_route(&hash);
            let active = route.is_credentials();
            self.route = Some(route);
            active
        } else {
            true
        };
        match (active, self.observer.is_some()) {
            (true, false) => {
                let Some(body) = self.doc.body() else { return };
                match Observer::new(&body, enqueue) {
                    Ok(o) => self.observer = Some(o),
                    Err(_) => return self.mark("error"),
                }
                self.mark("watching");
                // Rows already on the page: read them once, as not fresh.
                self.initial_scan = true;
                self.schedule();
            }
            (false, true) => {
                self.observer = None;
                self.queue.clear();
                self.carry.clear();
                self.batch = None;
                self.mark("idle");
            }
            (false, false) => self.mark("idle"),
            (true, true) => {}
        }
    }

    fn schedule(&mut self) {
        if self.batch.is_some() || self.quick {
            return;
        }
        // A few changed nodes (the portal adding a secret's row): read them in a microtask,
        // right after the page's script and before the browser draws, so the prompt comes
        // with the value instead of a frame later (a 5,000-node page takes ~15 ms to draw).
        // Anything bigger (a re-rendering grid, the first scan) waits for a task of its own.
        if self.queue.len() <= QUICK_NODES && self.carry.is_empty() && !self.overflow && !self.initial_scan {
            self.quick = true;
            wasm_bindgen_futures::spawn_local(async { with_frame(Frame::run_quick).unwrap_or(()) });
        } else {
            self.batch = Some(Timeout::new(0, || with_frame(Frame::run_batch).unwrap_or(())));
        }
    }

    /// The microtask of [`Frame::schedule`]: the batch now if it is still small, else in a task.
    fn run_quick(&mut self) {
        self.quick = false;
        if self.batch.is_some() {
            return; // a task is already due
        }
        if self.queue.len() <= QUICK_NODES && !self.overflow {
            self.run_batch();
        } else {
            self.batch = Some(Timeout::new(0, || with_frame(Frame::run_batch).unwrap_or(())));
        }
    }

    fn run_batch(&mut self) {
        self.batch = None;
        if self.route_pending {
            return; // the queue waits; the route's answer (or ROUTE_WAIT_MS) schedules a batch
        }
        if self.doc.hidden() {
            // Nothing is shown to the user in a hidden document; look again when it is.
            self.batch = Some(Timeout::new(500, || with_frame(Frame::run_batch).unwrap_or(())));
            return;
        }
        let perf = web_sys::window().and_then(|w| w.performance());
        let t0 = perf.as_ref().map_or(0.0, |p| p.now());
        let mut rows = std::mem::take(&mut self.carry);
        let mut found: Vec<Element> = Vec::new();
        if std::mem::take(&mut self.initial_scan) {
            if let Some(body) = self.doc.body() {
                scan::rows_for(&body, &mut found, scan::MAX_ROWS_PER_PAGE);
            }
            rows.extend(found.drain(..).map(|r| (r, false)));
        }
        let queue = std::mem::take(&mut self.queue);
        if std::mem::take(&mut self.overflow) {
            if let Some(body) = self.doc.body() {
                scan::rows_for(&body, &mut found, scan::MAX_ROWS_PER_PAGE);
            }
        } else {
            for node in &queue {
                scan::rows_for(node, &mut found, scan::MAX_ROWS_PER_NODE);
            }
        }
        rows.extend(found.into_iter().map(|r| (r, true)));
        for (i, (row, fresh)) in rows.iter().enumerate() {
            if i >= MAX_ROWS_PER_BATCH || perf.as_ref().is_some_and(|p| p.now() - t0 > BATCH_BUDGET_MS) {
                // Out of budget: the rest waits for the next batch.
                self.carry.extend_from_slice(&rows[i..]);
                self.schedule();
                break;
            }
            if scan::worth_reading(row, *fresh) {
                self.read(row, *fresh);
            }
        }
    }

    fn app_name(&self) -> Option<String> {
        // The blade title reads "<app name> | Certificates & secrets" in every language.
        let title = self.doc.query_selector(".fxs-blade-title-titleText, .fxs-blade-title h2, [data-testid=blade-title]").ok().flatten()?;
        let text = title.text_content()?;
        app_name_from_title(&text).map(str::to_owned)
    }

    fn read(&mut self, row: &Element, fresh: bool) {
        let Some(text) = scan::read_row(row) else { return };
        let cells: Vec<&str> = text.cells.iter().map(|c| c.as_str()).collect();
        let headers: Vec<&str> = text.headers.iter().map(String::as_str).collect();
        let snap = RowSnapshot { cells: &cells, headers: &headers, fresh };
        let app_name = if self.top { self.app_name() } else { None };
        let Some((finding, detection)) = detect_row(&snap, self.route.as_ref(), app_name.as_deref()) else { return };
        let fp = detection.fingerprint();
        let key = fp.to_key();
        if !self.seen.insert(fp) {
            return; // the same secret re-rendered: one detection per secret
        }
        let value = Zeroizing::new(cells[finding.value_cell][finding.start..finding.end].to_owned());
        let at = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin() + p.now());
        let msg = detected_msg(&key, &detection, at);
        // A blade iframe names the app by its client ID until the tab's top frame, which
        // shows the blade title, gives the display name (through the extension: the frames
        // are cross-origin).
        let ask_name = !self.top && detection.app_name.is_none() && detection.app_id.is_some();
        let named_key = key.clone();
        self.held.push(Held { key, detection, value, life: Lifecycle::new(), prompt: None, blocked: false });
        self.show_prompt(self.held.len() - 1, Some(row));
        self.rearm();
        wasm_bindgen_futures::spawn_local(async move {
            // The background arms the top frame; its answer is not needed here.
            let _ = platform::send(&msg).await;
            if ask_name {
                if let Ok(r) = platform::send(&obj(&[("type", "appName".into())])).await {
                    if let Some(name) = get_str(&r, "name") {
                        with_frame(|f| f.named(&named_key, get_str(&r, "appId").as_deref(), &name, at));
                    }
                }
            }
        });
    }

    /// The tab's top frame named the app (`name`, for the client ID `top_app_id` of its
    /// route): the secret's prompt and its line in the popup say it (and the stores use it),
    /// if it is the same app.
    fn named(&mut self, key: &str, top_app_id: Option<&str>, name: &str, at: f64) {
        let Some(h) = self.held.iter_mut().find(|h| h.key == key) else { return };
        if !h.detection.take_app_name(top_app_id, name) {
            return;
        }
        if let Some(p) = &h.prompt {
            p.set_context(&h.detection, &page_locale(&self.doc));
        }
        let msg = detected_msg(key, &h.detection, at);
        wasm_bindgen_futures::spawn_local(async move {
            let _ = platform::send(&msg).await;
        });
    }

    /// Applies a lifecycle event to the secrets whose value `matches`.
    fn copied_if(&mut self, matches: impl Fn(&str) -> bool, event: SecretEvent) {
        let keys: Vec<String> = self.held.iter().filter(|h| !h.value.is_empty() && matches(&h.value)).map(|h| h.key.clone()).collect();
        for k in keys {
            self.event(&k, &event, &platform::msg("statusCopied", &[]));
        }
    }

    /// Moves one secret's lifecycle on, updates its prompt, the background and the guard.
    fn event(&mut self, key: &str, event: &SecretEvent, message: &str) {
        let Some(h) = self.held.iter_mut().find(|h| h.key == key) else { return };
        if !h.life.apply(event) {
            return;
        }
        let state = h.life.state();
        if let Some(p) = &h.prompt {
            p.set_state(state.as_str(), message, true);
        }
        if matches!(state, SecretState::Saved | SecretState::ConfirmedByUser) {
            // Nothing needs the value any more: wipe it now.
            h.value = Zeroizing::new(String::new());
        }
        let msg = obj(&[("type", "state".into()), ("fp", JsValue::from_str(key)), ("state", state.as_str().into())]);
        self.rearm();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(r) = platform::send(&msg).await {
                apply_guard_message(&r);
            }
        });
    }

    /// Number of this frame's secrets that still need guarding (not copied/saved/confirmed).
    fn local_unsaved(&self) -> u32 {
        self.held.iter().filter(|h| h.life.needs_guard(false)).count() as u32
    }

    /// Adds or removes the navigation guard (top frame only).
    fn rearm(&mut self) {
        if !self.top {
            return;
        }
        let armed = self.remote_armed || self.local_unsaved() > 0;
        match (armed, self.guard.is_some()) {
            (true, false) => self.guard = install_guard(),
            (false, true) => {
                // No listener left behind: a page without beforeunload keeps its bfcache.
                self.guard = None;
                self.confirm = None;
            }
            _ => {}
        }
    }

    /// The user chose to leave: forget every secret of this frame (no nagging later).
    fn leave(&mut self) {
        for h in &mut self.held {
            h.prompt = None;
            h.value = Zeroizing::new(String::new());
        }
        self.held.clear();
        self.remote_armed = false;
        self.confirm = None;
        self.rearm();
    }

    /// Places every prompt of this frame (see `core::layout`). `expanded`: the user just
    /// expanded that secret's prompt, so the others collapse to their reminders (one card at a
    /// time: two would take the same place).
    fn relayout(&mut self, expanded: Option<&str>) {
        // A frame the page removed or covered, or one that never came up: build it again (the
        // secret stays unsaved and guarded meanwhile).
        if self.held.iter().all(|h| h.prompt.is_none()) {
            return;
        }
        // What the page put over a prompt (anything but our own frames) covers it.
        let ours: Vec<Element> =
            self.held.iter().filter_map(|h| Some(h.prompt.as_ref()?.element().clone())).chain(self.confirm.as_ref().map(|c| c.element().clone())).collect();
        for h in self.held.iter_mut() {
            let Some(p) = h.prompt.as_mut() else { continue };
            let covered = p.hit().is_some_and(|e| !ours.contains(&e));
            p.revive(covered);
            // Out of revives: the badge and the popup say so (Show prompt tries again).
            let blocked = p.blocked();
            if blocked != h.blocked {
                h.blocked = blocked;
                let msg = obj(&[("type", "promptBlocked".into()), ("fp", JsValue::from_str(&h.key)), ("blocked", blocked.into())]);
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = platform::send(&msg).await;
                });
            }
        }
        if let Some(key) = expanded {
            for h in self.held.iter().filter(|h| h.key != key) {
                if let Some(p) = &h.prompt {
                    p.set_collapsed(true);
                }
            }
        }
        // A portal that re-renders its grid replaces the rows: find each secret's row again
        // (the one that shows its value), so no prompt covers it.
        if self.held.iter().any(|h| h.prompt.as_ref().is_some_and(|p| !p.has_row())) {
            let mut found = Vec::new();
            if let Some(body) = self.doc.body() {
                scan::rows_for(&body, &mut found, scan::MAX_ROWS_PER_NODE);
            }
            for h in self.held.iter_mut().filter(|h| !h.value.is_empty()) {
                let Some(p) = h.prompt.as_mut().filter(|p| !p.has_row()) else { continue };
                if let Some(row) = found.iter().find(|r| scan::visible_text(r).contains(h.value.as_str())) {
                    p.set_row(row.clone());
                }
            }
        }
        let rows: Vec<Span> = self.held.iter().filter_map(|h| h.prompt.as_ref()?.row_span()).collect();
        let win = self.doc.default_view();
        let dim = |v: Option<JsValue>| v.and_then(|v| v.as_f64()).unwrap_or(0.0);
        let view = Size { height: dim(win.as_ref().and_then(|w| w.inner_height().ok())), width: dim(win.as_ref().and_then(|w| w.inner_width().ok())) };
        let prompts: Vec<&Prompt> = self.held.iter().filter_map(|h| h.prompt.as_ref()).collect();
        // One card: the newest expanded prompt (the others were collapsed when it opened).
        let card = prompts.iter().rev().find(|p| !p.collapsed()).copied();
        let pills: Vec<&Prompt> = prompts.iter().filter(|p| card.is_none_or(|c| !std::ptr::eq(c, **p))).copied().collect();
        let sizes: Vec<Size> = pills.iter().map(|p| p.size()).collect();
        let (card_at, pills_at) = layout(&rows, view, card.map(Prompt::size), &sizes);
        if let (Some(c), Some(at)) = (card, card_at) {
            c.place(at);
        }
        for (p, at) in pills.iter().zip(pills_at) {
            p.place(at);
        }
    }

    fn show_prompt(&mut self, i: usize, row: Option<&Element>) {
        let key = self.held[i].key.clone();
        let on_action: Rc<dyn Fn(Action)> = Rc::new(move |a| {
            let key = key.clone();
            // Handlers run outside the batch: never while FRAME is borrowed.
            wasm_bindgen_futures::spawn_local(async move { act(&key, a).await });
        });
        let key = self.held[i].key.clone();
        let relayout: crate::dom::prompt::Relayout = Rc::new(move |expanded| {
            let key = key.clone();
            wasm_bindgen_futures::spawn_local(async move {
                with_frame(|f| f.relayout(expanded.then_some(key.as_str())));
            });
        });
        match Prompt::show(&self.doc, &self.held[i].detection, row, on_action, relayout) {
            Ok(p) => {
                // One card at a time: the earlier ones become reminders, unless the user is
                // busy in one (then the new one waits as a reminder).
                let busy = self.held.iter().filter_map(|h| h.prompt.as_ref()).any(Prompt::in_use);
                for other in self.held.iter().filter_map(|h| h.prompt.as_ref()) {
                    if !other.in_use() {
                        other.set_collapsed(true);
                    }
                }
                p.set_collapsed(busy);
                self.held[i].prompt = Some(p);
                if self.frames_watch.is_none() {
                    if let Some(html) = self.doc.document_element() {
                        self.frames_watch = Observer::children(&html, || with_frame(|f| f.relayout(None)).unwrap_or(())).ok();
                        self.cover_check = Some(Interval::new(COVER_CHECK_MS, || with_frame(|f| f.relayout(None)).unwrap_or(())));
                    }
                }
                self.relayout(None);
            }
            Err(_) => self.mark("error"),
        }
    }
}

/// The page's language tag, which says how it writes dates: `<html lang>` (the portal sets it
/// to the language the user chose), else the browser's language.
pub(crate) fn page_locale(doc: &Document) -> String {
    let lang = doc.document_element().and_then(|e| e.get_attribute("lang")).unwrap_or_default();
    if !lang.trim().is_empty() {
        return lang.trim().to_owned();
    }
    web_sys::window().and_then(|w| w.navigator().language()).unwrap_or_default()
}

/// Remembers the store the user just used, so the next prompt preselects it.
fn remember_store(store: &str) {
    if let Ok(p) = platform::sync_set(&obj(&[("default_store", JsValue::from_str(store))])) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        });
    }
}

/// What a store needs from the prompt besides the value.
enum StoreInput {
    File(Option<Zeroizing<String>>),
    KeyVault { vault: String, name: String, new_version: bool },
    Vault { path: String, new_version: bool, username: String, password: Option<Zeroizing<String>> },
}

/// Sends the value to a store that runs in the background (the encrypted file: only the
/// background may use the downloads API; Key Vault: sign-in and the vault's host
/// permissions live there), and applies the outcome: "saved" only once the store confirmed.
async fn save_to(key: &str, input: StoreInput) {
    let store = match input {
        StoreInput::File(_) => StoreKind::EncryptedFile,
        StoreInput::KeyVault { .. } => StoreKind::KeyVault,
        StoreInput::Vault { .. } => StoreKind::HashiCorpVault,
    };
    // (passphrase, vault, secret name or path, new version, user name, password)
    let (pass, vault, name, new_version, user, password) = match &input {
        StoreInput::File(p) => (p.as_deref().map(String::as_str), "", "", false, "", None),
        StoreInput::KeyVault { vault, name, new_version } => (None, vault.as_str(), name.as_str(), *new_version, "", None),
        StoreInput::Vault { path, new_version, username, password } => {
            (None, "", path.as_str(), *new_version, username.as_str(), password.as_deref().map(String::as_str))
        }
    };
    let Some(msg) = with_frame(|f| {
        let h = f.held.iter().find(|h| h.key == key && !h.value.is_empty())?;
        let d = &h.detection;
        let opt = |v: &Option<String>| v.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL);
        let msg = obj(&[
            ("type", "save".into()),
            ("fp", JsValue::from_str(&h.key)),
            ("store", store.as_str().into()),
            ("vault", JsValue::from_str(vault)),
            ("secretName", JsValue::from_str(name)),
            ("allowNewVersion", new_version.into()),
            ("value", JsValue::from_str(&h.value)),
            ("passphrase", pass.map(JsValue::from_str).unwrap_or(JsValue::NULL)),
            ("username", JsValue::from_str(user)),
            ("password", password.map(JsValue::from_str).unwrap_or(JsValue::NULL)),
            ("appName", opt(&d.app_name)),
            ("clientId", opt(&d.app_id)),
            ("tenantId", opt(&d.tenant_id)),
            ("description", opt(&d.description)),
            ("secretId", opt(&d.secret_id)),
            ("expires", opt(&d.expires)),
            ("locale", JsValue::from_str(&page_locale(&f.doc))),
        ]);
        if let Some(p) = &h.prompt {
            p.busy(true);
            let doing = if store == StoreKind::KeyVault {
                platform::msg("statusSavingKeyVault", &[])
            } else if store == StoreKind::HashiCorpVault {
                platform::msg("statusSavingVault", &[])
            } else {
                platform::msg("statusSavingFile", &[])
            };
            p.set_state(h.life.state().as_str(), &doing, true);
        }
        Some(msg)
    })
    .flatten() else {
        return;
    };
    drop(input); // the passphrase: wiped now (the message holds the only other copy)
    let reply = platform::send(&msg).await;
    // Our handle on the message goes now. Its JS string copy of the value cannot be wiped,
    // only left to the garbage collector: the fewer handles, the sooner it goes.
    drop(msg);
    let ok = reply.as_ref().ok().and_then(|r| js_sys::Reflect::get(r, &"ok".into()).ok()).and_then(|v| v.as_bool()) == Some(true);
    let text = reply.as_ref().ok().and_then(|r| get_str(r, "message"));
    let kind = reply.as_ref().ok().and_then(|r| get_str(r, "outcome"));
    let stopped = reply.as_ref().ok().and_then(|r| get_str(r, "code")).as_deref() == Some("stopped");
    let outcome = StoreOutcome::from_reply(ok, kind.as_deref());
    with_frame(|f| {
        // The controls first (their focus rules), then the result line and any question, and
        // the run's end last: whoever reads the end (the e2e) finds the result already there.
        if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
            p.busy(false);
        }
        let message = match (outcome, text) {
            (StoreOutcome::Saved, t) => t.unwrap_or_else(|| platform::msg("statusSaved", &[])),
            (StoreOutcome::NeedsConfirmation, t) => t.unwrap_or_else(|| platform::msg("statusConfirm", &[])),
            (StoreOutcome::Cancelled, _) if stopped => platform::msg("statusSaveStopped", &[]),
            (StoreOutcome::Cancelled, _) if store == StoreKind::KeyVault => platform::msg("statusSignInCancelled", &[]),
            (StoreOutcome::Cancelled, _) => platform::msg("statusDownloadCancelled", &[]),
            (_, Some(t)) => t,
            (_, None) => platform::msg("statusInterrupted", &[]),
        };
        if outcome == StoreOutcome::Saved {
            remember_store(store.as_str());
            f.event(key, &SecretEvent::StoreConfirmed { store }, &message);
        } else if let Some(h) = f.held.iter_mut().find(|h| h.key == key) {
            if let Some(event) = outcome.event(store, &message) {
                h.life.apply(&event);
            }
            if let Some(p) = &h.prompt {
                // A question (new version, passphrase) is not a failure: no error colour.
                p.set_state(h.life.state().as_str(), &message, outcome == StoreOutcome::NeedsConfirmation);
                match outcome {
                    StoreOutcome::NeedsConfirmation => p.ask_new_version(),
                    StoreOutcome::NeedsPassphrase => p.ask_passphrase(),
                    _ => {}
                }
            }
        }
        if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
            p.finished(outcome.as_str());
        }
    });
}

/// Runs a prompt action for the secret `key`.
async fn act(key: &str, action: Action) {
    match action {
        Action::SaveFile(pass) => save_to(key, StoreInput::File(pass)).await,
        Action::SaveKeyVault { vault, name, new_version } => save_to(key, StoreInput::KeyVault { vault, name, new_version }).await,
        Action::SaveVault { path, new_version, username, password } => save_to(key, StoreInput::Vault { path, new_version, username, password }).await,
        // The frame writes the clipboard (the user's click gave it the activation): it gets
        // the value for that, and only then.
        Action::Copy => {
            with_frame(|f| {
                let Some(h) = f.held.iter().find(|h| h.key == key) else { return };
                if let Some(p) = &h.prompt {
                    p.send_value(Some(h.value.as_str()).filter(|v| !v.is_empty()));
                }
            });
        }
        Action::Copied(false) => {
            with_frame(|f| {
                if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
                    p.set_state("shown", &platform::msg("statusClipboardRefused", &[]), false);
                }
            });
        }
        Action::Copied(true) => {
            remember_store("clipboard");
            // The background owns the clear timer (it outlives this frame and the tab).
            let clear = platform::send(&obj(&[("type", "clipboardCopied".into())])).await;
            let secs = clear.as_ref().ok().and_then(|r| platform::get_f64(r, "clearSecs"));
            let text = match secs {
                Some(s) if s > 0.0 => platform::msg("statusCopiedClears", &[]),
                Some(_) => platform::msg("statusCopied", &[]),
                None => platform::msg("statusCopiedNoClear", &[]),
            };
            with_frame(|f| f.event(key, &SecretEvent::CopiedByUs, &text));
        }
        // The save's own reply ends it (as cancelled): nothing to change here yet.
        Action::CancelSave => {
            let _ = platform::send(&obj(&[("type", "cancelSave".into()), ("fp", JsValue::from_str(key))])).await;
        }
        Action::SavedElsewhere => {
            let text = platform::msg("statusSavedElsewhere", &[]);
            with_frame(|f| f.event(key, &SecretEvent::UserConfirmedSavedElsewhere, &text));
        }
        // Only a finished secret's prompt closes (an unsaved one collapses to its reminder):
        // the frame goes, the focus goes back to where it was.
        Action::Close => {
            with_frame(|f| {
                let Some(h) = f.held.iter_mut().find(|h| h.key == key) else { return };
                if matches!(h.life.state(), SecretState::Saved | SecretState::ConfirmedByUser) {
                    h.prompt = None;
                    f.relayout(None);
                }
            });
        }
    }
}

/// The `detected` message for the background: the secret's fingerprint key, its label for
/// the popup, and when it was first seen (sent again, with a better label, once a blade iframe
/// learnt the app's name).
fn detected_msg(key: &str, detection: &Detection, at: f64) -> JsValue {
    obj(&[("type", "detected".into()), ("fp", JsValue::from_str(key)), ("label", JsValue::from_str(&detection.label())), ("at", at.into())])
}

/// Applies `{armed, count}` from the background to the top frame's guard.
fn apply_guard_message(reply: &JsValue) {
    let Ok(armed) = js_sys::Reflect::get(reply, &"armed".into()) else { return };
    let Some(armed) = armed.as_bool() else { return };
    with_frame(|f| {
        f.remote_armed = armed;
        f.rearm();
    });
}

/// Messages the extension sends to this frame (only the extension can: pages cannot reach
/// `runtime.onMessage` of a content script). `None`: this frame does not answer.
fn on_background_message(message: JsValue, _sender: JsValue) -> Option<JsValue> {
    let done = match get_str(&message, "type").as_deref() {
        // The popup (and the e2e, through an extension page) asks what runs here: engine,
        // observer, and whether leaving warns. With `host`, only a frame of that host answers
        // (a message to every frame of a tab takes the first answer).
        Some("status") => return status(get_str(&message, "host").as_deref()),
        // A save under way says how it goes (a retry's wait) in the secret's prompt.
        Some("progress") => {
            let (fp, text) = (get_str(&message, "fp").unwrap_or_default(), get_str(&message, "message").unwrap_or_default());
            let stoppable = js_sys::Reflect::get(&message, &"stoppable".into()).ok().and_then(|v| v.as_bool()) == Some(true);
            with_frame(|f| match f.held.iter().find(|h| h.key == fp).and_then(|h| h.prompt.as_ref()) {
                Some(p) => {
                    p.progress(&text, stoppable);
                    true
                }
                None => false,
            })
            .unwrap_or(false)
        }
        // A blade iframe of this tab asks the top frame for the app's display name.
        Some("appName") => {
            return with_frame(|f| {
                let app_id = f.route.as_ref().and_then(Route::app).and_then(|r| r.app_id.clone());
                let opt = |v: Option<String>| v.map(JsValue::from).unwrap_or(JsValue::NULL);
                f.top.then(|| obj(&[("name", opt(f.app_name())), ("appId", opt(app_id))]))
            })
            .flatten()
        }
        Some("guard") => {
            apply_guard_message(&message);
            true
        }
        // The popup's "Show prompt": answers whether this frame still shows that secret.
        Some("focus") => {
            let fp = get_str(&message, "fp").unwrap_or_default();
            with_frame(|f| match f.held.iter_mut().find(|h| h.key == fp).and_then(|h| h.prompt.as_mut()) {
                Some(p) => {
                    // A user asking for it: a prompt the page kept removing gets new tries.
                    p.retry();
                    p.focus();
                    f.relayout(Some(&fp));
                    true
                }
                None => false,
            })
            .unwrap_or(false)
        }
        _ => false,
    };
    Some(obj(&[("ok", done.into())]))
}

fn status(host: Option<&str>) -> Option<JsValue> {
    let loc = web_sys::window()?.location();
    if host.is_some_and(|h| loc.hostname().ok().as_deref() != Some(h)) {
        return None;
    }
    let url = loc.href().unwrap_or_default();
    with_frame(|f| {
        let guard = match (f.top, f.guard.is_some()) {
            (false, _) => JsValue::NULL,
            (true, armed) => (if armed { "armed" } else { "off" }).into(),
        };
        obj(&[
            ("ok", true.into()),
            ("url", JsValue::from_str(&url)),
            ("top", f.top.into()),
            ("engine", f.engine.into()),
            ("scan", f.scan.into()),
            ("guard", guard),
            ("unsaved", (f.local_unsaved() as f64).into()),
        ])
    })
}

fn install_guard() -> Option<[EventListener; 2]> {
    let win = web_sys::window()?;
    let opts = gloo_events::EventListenerOptions::enable_prevent_default();
    // Leaving the document (close, reload, address bar, other site, back across documents):
    // the browser's own leave-page dialog, shown only after a real user interaction.
    let before = EventListener::new_with_options(&win, "beforeunload", opts, |e| {
        if BYPASS.with(Cell::get) {
            return;
        }
        e.prevent_default();
        let _ = js_sys::Reflect::set(e, &"returnValue".into(), &JsValue::from_str(""));
    });
    // Leaving the blade inside the single-page portal: same-document navigations.
    let navigation = js_sys::Reflect::get(&win, &"navigation".into()).ok().filter(|n| n.is_object())?;
    let navigate = EventListener::new_with_options(navigation.unchecked_ref(), "navigate", opts, on_navigate);
    Some([before, navigate])
}

fn on_navigate(e: &web_sys::Event) {
    if BYPASS.with(Cell::get) {
        return;
    }
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    let dest = get(e, "destination");
    let same_document = get(&dest, "sameDocument").as_bool().unwrap_or(false);
    let kind = get(e, "navigationType").as_string().unwrap_or_default();
    // Cross-document navigations and reloads get the browser's beforeunload dialog instead.
    if !same_document || kind == "reload" || !e.cancelable() {
        return;
    }
    e.prevent_default();
    let url = get(&dest, "url").as_string().unwrap_or_default();
    let key = get(&dest, "key").as_string();
    let traverse = kind == "traverse";
    with_frame(move |f| {
        if f.confirm.is_some() {
            return;
        }
        let unsaved = f.local_unsaved().max(1);
        let choice: Rc<dyn Fn(LeaveChoice)> = Rc::new(move |c| {
            let (url, key) = (url.clone(), key.clone());
            wasm_bindgen_futures::spawn_local(async move { leave_choice(c, url, key, traverse).await });
        });
        f.confirm = Confirm::show(&f.doc, unsaved, choice).ok();
    });
}

async fn leave_choice(choice: LeaveChoice, url: String, key: Option<String>, traverse: bool) {
    match choice {
        LeaveChoice::Stay => {
            with_frame(|f| {
                f.confirm = None;
                // Back to the newest secret still unsaved (else the newest shown).
                let unsaved = f.held.iter().rev().find(|h| h.prompt.is_some() && h.life.needs_guard(false));
                let newest = unsaved.or_else(|| f.held.iter().rev().find(|h| h.prompt.is_some())).map(|h| h.key.clone());
                if let Some(key) = newest {
                    if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
                        p.focus();
                    }
                    f.relayout(Some(&key));
                }
            });
        }
        LeaveChoice::Leave => {
            with_frame(Frame::leave);
            let _ = platform::send(&obj(&[("type", "leave".into())])).await;
            // Re-issue the navigation the user insisted on, past our own guard.
            BYPASS.with(|b| b.set(true));
            if let Some(win) = web_sys::window() {
                if let Ok(nav) = js_sys::Reflect::get(&win, &"navigation".into()) {
                    let method = if traverse { "traverseTo" } else { "navigate" };
                    let arg = if traverse { key.map(JsValue::from).unwrap_or_default() } else { JsValue::from_str(&url) };
                    if let Ok(f) = js_sys::Reflect::get(&nav, &method.into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
                        let _ = f.call1(&nav, &arg);
                    }
                }
            }
            BYPASS.with(|b| b.set(false));
        }
    }
}

/// One secret this frame holds, as the wasm tests see it (never the value).
#[derive(Debug)]
pub struct HeldInfo {
    /// First 3 characters.
    pub hint: String,
    /// Secret id, lower case.
    pub secret_id: Option<String>,
    /// Lifecycle state.
    pub state: &'static str,
    /// The prompt's accessible description, as the frame would show it now.
    pub desc: String,
}

/// What this frame holds. The wasm tests run the content module on a plain page, without the
/// extension APIs, so no prompt frame can load there: they observe detections here.
pub fn held_snapshot() -> Vec<HeldInfo> {
    with_frame(|f| {
        let locale = page_locale(&f.doc);
        f.held
            .iter()
            .map(|h| HeldInfo {
                hint: h.detection.hint.clone(),
                secret_id: h.detection.secret_id.clone(),
                state: h.life.state().as_str(),
                desc: crate::core::prompt::prompt_texts(&h.detection, &locale).desc,
            })
            .collect()
    })
    .unwrap_or_default()
}
