#![cfg(target_arch = "wasm32")]
//! Browser tests of the DOM layer (wasm-bindgen-test, headless Chromium and Firefox): row
//! reading in both grid markups, and the whole content pipeline (observer → batch → core →
//! prompt) on a page the test builds. The test page is not a portal host, so the frame runs
//! as a blade iframe would: watching, with no route known.
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

// Secrets made by the independent checksum (the crate's own generators are unit-test only).
#[path = "support/checksum.rs"]
mod checksum;

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn html(markup: &str) -> web_sys::Element {
    let div = document().create_element("div").unwrap();
    div.set_inner_html(markup);
    document().body().unwrap().append_child(&div).unwrap();
    div
}

const GUID: &str = "6b2d1f7e-3c4a-4e5b-9a8d-0f1e2d3c4b5a";

fn secret(seed: u64) -> String {
    checksum::sample_current(seed)
}

async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// The secrets the content frame holds (it cannot open its prompt frame here: the test page
/// has no extension APIs). Observed through the content module, never through the page.
fn held() -> Vec<shownonce::dom::frame::HeldInfo> {
    shownonce::dom::frame::held_snapshot()
}

/// The value as the user sees it, drawn other ways than as text: a read-only text box whose
/// value is set as a property only, a text area, an open shadow root (also nested); the
/// values of password and hidden fields are not read (they show nothing).
#[wasm_bindgen_test]
fn reads_text_boxes_and_open_shadow_roots() {
    let (a, b, c, d) = (secret(11), secret(12), secret(13), secret(14));
    let row_html = "<table role=grid><tr class=fxc-gc-row><td>ci</td><td>5/26/2027</td><td class=v></td><td>{GUID}</td></tr></table>".replace("{GUID}", GUID);
    let read = |fill: &dyn Fn(&web_sys::Element)| {
        let t = html(&row_html);
        fill(&t.query_selector(".v").unwrap().unwrap());
        let row = t.query_selector(".fxc-gc-row").unwrap().unwrap();
        let cell = shownonce::dom::scan::read_row(&row).unwrap().cells[2].to_string();
        t.remove();
        cell
    };
    let input = |kind: &str, v: &str| {
        let i: web_sys::HtmlInputElement = document().create_element("input").unwrap().dyn_into().unwrap();
        i.set_type(kind);
        i.set_read_only(true);
        i.set_value(v);
        i
    };
    assert!(
        read(&|cell| {
            cell.append_child(&input("text", &a)).unwrap();
        })
        .contains(&a),
        "text box"
    );
    assert!(
        read(&|cell| {
            let t: web_sys::HtmlTextAreaElement = document().create_element("textarea").unwrap().dyn_into().unwrap();
            t.set_value(&b);
            cell.append_child(&t).unwrap();
        })
        .contains(&b),
        "text area"
    );
    assert!(
        read(&|cell| {
            let host = document().create_element("span").unwrap();
            let root = host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
            let inner = document().create_element("span").unwrap();
            let inner_root = inner.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open)).unwrap();
            inner_root.set_text_content(Some(&c));
            root.append_child(&inner).unwrap();
            cell.append_child(&host).unwrap();
        })
        .contains(&c),
        "nested open shadow roots"
    );
    let hidden = read(&|cell| {
        cell.append_child(&input("password", &d)).unwrap();
        cell.append_child(&input("hidden", &d)).unwrap();
    });
    assert!(!hidden.contains(&d), "password and hidden fields show nothing");
}

#[wasm_bindgen_test]
fn reads_knockout_and_fluent_rows() {
    let v = secret(1);
    let ko = html(&format!(
        "<table role=grid><tr><th>Description</th><th>Expires</th><th>Value</th><th>Secret ID</th></tr>\
         <tr class=fxc-gc-row><td>ci</td><td>5/26/2027</td><td><span>{v}</span><button>copy</button></td><td>{GUID}</td></tr></table>"
    ));
    let row = ko.query_selector(".fxc-gc-row").unwrap().unwrap();
    let text = shownonce::dom::scan::read_row(&row).unwrap();
    assert_eq!(text.cells.len(), 4);
    assert!(text.cells[2].contains(&v));
    assert_eq!(text.headers.len(), 4);
    let fluent = html(&format!(
        "<div role=grid><div role=row class=ms-DetailsRow>\
         <div role=rowheader data-automationid=DetailsRowCell data-automation-key=description>ci</div>\
         <div role=gridcell data-automationid=DetailsRowCell data-automation-key=expires>26.5.2027</div>\
         <div role=gridcell data-automationid=DetailsRowCell data-automation-key=value><div role=gridcell>{v}</div></div>\
         <div role=gridcell data-automationid=DetailsRowCell data-automation-key=secretId>{GUID}</div></div></div>"
    ));
    let row = fluent.query_selector("[role=row]").unwrap().unwrap();
    let text = shownonce::dom::scan::read_row(&row).unwrap();
    assert_eq!(text.cells.len(), 4, "a cell nested in a cell is part of it");
    ko.remove();
    fluent.remove();
}

/// The core's texts in English, as with an English browser UI: this test page has no
/// `chrome.i18n`, so the en messages.json is rendered the way `getMessage` does.
fn english_texts() {
    fn en(key: &str, args: &[&str]) -> String {
        static EN: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
        let m = EN.get_or_init(|| serde_json::from_str(include_str!("../extension/_locales/en/messages.json")).expect("en/messages.json"));
        shownonce::core::i18n::render_from(m, key, args).unwrap_or_else(|| key.to_owned())
    }
    shownonce::core::i18n::set_translator(en);
}

/// An expiry that reads two ways is written out as the page's regional format understands
/// it (en-GB: day first), before anything goes into a store; an unambiguous one is not.
#[wasm_bindgen_test]
async fn an_ambiguous_expiry_is_written_out_by_the_page_locale() {
    english_texts();
    shownonce::dom::frame::start("wasm");
    let root = document().document_element().unwrap();
    let lang = root.get_attribute("lang");
    root.set_attribute("lang", "en-GB").unwrap();
    let v = secret(7);
    let id = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
    let row = html(&format!("<table><tr><td>uk key</td><td>3/4/2027</td><td>{v}</td><td>{id}</td></tr></table>"));
    sleep(300).await;
    let p = held().into_iter().find(|p| p.secret_id.as_deref() == Some(id)).expect("a detection");
    let desc = p.desc;
    assert!(desc.contains("Expires: 3/4/2027 (3 April 2027)"), "{desc}");
    let v2 = secret(8);
    let id2 = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
    let row2 = html(&format!("<table><tr><td>uk key 2</td><td>25/4/2027</td><td>{v2}</td><td>{id2}</td></tr></table>"));
    sleep(300).await;
    let p2 = held().into_iter().find(|p| p.secret_id.as_deref() == Some(id2)).expect("a second detection");
    let desc2 = p2.desc;
    assert!(desc2.contains("Expires: 25/4/2027. "), "unambiguous dates stay as shown: {desc2}");
    match lang {
        Some(l) => root.set_attribute("lang", &l).unwrap(),
        None => root.remove_attribute("lang").unwrap(),
    }
    row.remove();
    row2.remove();
}

/// A row drawn first with an empty text box whose `value` attribute is filled afterwards (as
/// a framework updates it): the attribute change alone is noticed and gives the prompt.
#[wasm_bindgen_test]
async fn a_text_box_filled_later_gives_a_prompt() {
    english_texts();
    shownonce::dom::frame::start("wasm");
    let v = secret(21);
    let id = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";
    let t = html(&format!("<table><tr><td>boxed key</td><td>5/26/2027</td><td><input readonly></td><td>{id}</td></tr></table>"));
    sleep(300).await;
    let ours = || held().into_iter().find(|p| p.secret_id.as_deref() == Some(id));
    assert!(ours().is_none(), "an empty text box shows nothing");
    t.query_selector("input").unwrap().unwrap().set_attribute("value", &v).unwrap();
    sleep(300).await;
    let p = ours().expect("a detection once the text box shows the value");
    assert_eq!(p.hint, &v[..3]);
    t.remove();
}

#[wasm_bindgen_test]
async fn a_new_row_gives_exactly_one_prompt_without_the_value() {
    english_texts();
    shownonce::dom::frame::start("wasm");
    let root = document().document_element().unwrap();
    // Nothing on the page's own nodes says that ShownOnce runs, watches or guards here.
    let ours: Vec<String> = root.get_attribute_names().iter().filter_map(|n| n.as_string()).filter(|n| n.contains("shownonce")).collect();
    assert!(ours.is_empty(), "attributes of ours on <html>: {ours:?}");
    // Masked and bad-checksum rows: nothing. (Other tests of this page may hold detections:
    // count from here.)
    let start = held().len();
    let bad = checksum::make_bad_checksum(b"abc", b"0123456789012345678901234567890");
    let neg = html(&format!(
        "<table><tr><td>old</td><td>1/1/2027</td><td>abc******************</td><td>{GUID}</td></tr>\
         <tr><td>bad</td><td>1/1/2027</td><td>{bad}</td><td>{GUID}</td></tr></table>"
    ));
    sleep(300).await;
    assert_eq!(held().len(), start, "masked / bad checksum must not prompt");
    let before = held().len();
    // A fresh row with a valid secret: one detection, even when re-rendered twice.
    let v = secret(42);
    let id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let row = format!("<table><tr><td>deploy key</td><td>5/26/2027</td><td>{v}</td><td>{id}</td></tr></table>");
    let pos = html(&row);
    sleep(300).await;
    pos.set_inner_html(&row);
    sleep(300).await;
    let p: Vec<_> = held().into_iter().skip(before).collect();
    assert_eq!(p.len(), 1, "one detection per secret: {p:?}");
    assert_eq!(p[0].secret_id.as_deref(), Some(id));
    assert_eq!(p[0].hint, &v[..3]);
    assert_eq!(p[0].state, "shown");
    assert!(p[0].desc.contains("deploy key") && p[0].desc.contains("5/26/2027"), "{}", p[0].desc);
    // Nothing of ours in the page's DOM (the prompt is an extension frame, which cannot load
    // on this test page: no extension APIs here).
    assert_eq!(document().query_selector_all("shownonce-prompt, iframe").unwrap().length(), 0, "an element of ours in the page");
    // The value is nowhere the page can read outside its own cell: markup and attributes,
    // rendered text, form fields' current values, title and URL.
    let outside = root.outer_html().matches(&v).count();
    assert_eq!(outside, 1, "the value appears only in the page's own cell");
    let body = document().body().unwrap();
    assert_eq!(body.inner_text().matches(&v).count(), 1, "rendered text");
    let fields = document().query_selector_all("input, textarea, select").unwrap();
    for i in 0..fields.length() {
        let f = fields.item(i).unwrap();
        let value = js_sys::Reflect::get(&f, &"value".into()).unwrap().as_string().unwrap_or_default();
        assert!(!value.contains(&v), "a form field holds the value");
    }
    assert!(!document().title().contains(&v) && !document().url().unwrap().contains(&v), "title / URL");
    neg.remove();
    pos.remove();
}
