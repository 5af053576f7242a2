//! Per-frame bootstrap and the detection loop.
//!
//! - Cheap check first: a top-level portal page scans only while its hash route is a
//!   Certificates & secrets blade; elsewhere it only listens for `hashchange`. A blade
//!   iframe (it cannot see the shell's route) watches, but the row shape is strict.
//! - The MutationObserver callback only queues nodes; a batch runs on a 0 ms timer, reads
//!   at most [`MAX_ROWS_PER_BATCH`] rows and yields after [`BATCH_BUDGET_MS`].
//! - A detected value stays here, in wasm memory (zeroized on drop), never in the DOM.
use std::cell::RefCell;
use std::rc::Rc;

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, Node};
use zeroize::Zeroizing;

use crate::core::detect::{detect_row, Detection, Seen};
use crate::core::grid::{app_name_from_title, RowSnapshot};
use crate::core::route::{classify_host, fragment_of, parse_route, HostKind, Route};
use crate::dom::observer::Observer;
use crate::dom::prompt::{Action, Prompt};
use crate::dom::scan;

const MAX_QUEUE: usize = 512;
const MAX_ROWS_PER_BATCH: usize = 200;
const BATCH_BUDGET_MS: f64 = 8.0;

/// A secret this frame detected: the value lives only here.
struct Held {
    key: String,
    detection: Detection,
    value: Zeroizing<String>,
    prompt: Option<Prompt>,
}

struct Frame {
    doc: Document,
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
    seen: Seen,
    held: Vec<Held>,
    _listeners: Vec<EventListener>,
}

thread_local! {
    static FRAME: RefCell<Option<Frame>> = const { RefCell::new(None) };
}

fn with_frame<R>(f: impl FnOnce(&mut Frame) -> R) -> Option<R> {
    FRAME.with(|cell| cell.try_borrow_mut().ok().and_then(|mut g| g.as_mut().map(f)))
}

/// Starts ShownOnce in this frame (idempotent).
pub fn start(engine: &str) {
    let Some(win) = web_sys::window() else { return };
    let Some(doc) = win.document() else { return };
    if let Some(root) = doc.document_element() {
        // Visible to tests (and harmless to the page): which engine runs here.
        let _ = root.set_attribute("data-shownonce", engine);
    }
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
    let frame = Frame {
        doc,
        top,
        route: None,
        observer: None,
        queue: Vec::new(),
        carry: Vec::new(),
        initial_scan: false,
        overflow: false,
        batch: None,
        seen: Seen::new(),
        held: Vec::new(),
        _listeners: listeners,
    };
    FRAME.with(|c| *c.borrow_mut() = Some(frame));
    if top {
        with_frame(Frame::route_changed);
    } else {
        // A blade iframe learns the portal route (app id; Key Vault or not) from the
        // background, which knows the tab's URL. Without an answer it still watches.
        wasm_bindgen_futures::spawn_local(async {
            let url = crate::platform::ask("tabUrl").await.ok().and_then(|r| crate::platform::get_str(&r, "url"));
            with_frame(|f| {
                f.route = url.as_deref().map(|u| parse_route(fragment_of(u)));
                f.route_changed();
            });
        });
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
    fn mark(&self, state: &str) {
        if let Some(root) = self.doc.document_element() {
            let _ = root.set_attribute("data-shownonce-scan", state);
        }
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
        if self.batch.is_none() {
            self.batch = Some(Timeout::new(0, || with_frame(Frame::run_batch).unwrap_or(())));
        }
    }

    fn run_batch(&mut self) {
        self.batch = None;
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
        self.held.push(Held { key, detection, value, prompt: None });
        self.show_prompt(self.held.len() - 1);
    }

    fn show_prompt(&mut self, i: usize) {
        let key = self.held[i].key.clone();
        let on_action: Rc<dyn Fn(Action)> = Rc::new(move |a| {
            let key = key.clone();
            // Handlers run outside the batch: never while FRAME is borrowed.
            wasm_bindgen_futures::spawn_local(async move { act(&key, a).await });
        });
        match Prompt::show(&self.doc, &self.held[i].detection, on_action) {
            Ok(p) => self.held[i].prompt = Some(p),
            Err(_) => self.mark("error"),
        }
    }
}

/// Runs a prompt action for the secret `key`.
async fn act(key: &str, action: Action) {
    match action {
        Action::Copy => {
            let Some(promise) = with_frame(|f| {
                let held = f.held.iter().find(|h| h.key == key)?;
                let clip = web_sys::window()?.navigator().clipboard();
                Some(clip.write_text(&held.value))
            })
            .flatten() else { return };
            let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
            with_frame(|f| {
                if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
                    if ok {
                        p.set_state("copied", "Copied to the clipboard. Paste it into a safe place now.", true);
                    } else {
                        p.set_state("shown", "The browser refused the clipboard. Select the value on the page and press Ctrl+C.", false);
                    }
                }
            });
        }
        Action::SavedElsewhere => {
            with_frame(|f| {
                if let Some(p) = f.held.iter().find(|h| h.key == key).and_then(|h| h.prompt.as_ref()) {
                    p.set_state("confirmed", "Marked as saved by you. ShownOnce forgot the value.", true);
                }
                if let Some(h) = f.held.iter_mut().find(|h| h.key == key) {
                    // Wipe now: the user took responsibility for it.
                    h.value = Zeroizing::new(String::new());
                }
            });
        }
    }
}

#[allow(dead_code)]
fn unused(_: JsValue) {}
