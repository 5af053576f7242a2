//! Reading grid rows out of the DOM into the pure core's [`RowSnapshot`] shape.
//!
//! Selectors cover both frame models seen on the portal: Knockout grids in the shell
//! (`table`/`tr`/`td`, `fxc-gc-*`) and Fluent UI DetailsList in reactblade iframes
//! (`[role=row]`, `[data-automationid=DetailsRowCell]`). Labels are never needed.
//! A cell's text is what the user sees in it: text nodes, the value of a read-only text box,
//! and text drawn inside an open shadow root (web components); see [`visible_text`].
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement, HtmlTextAreaElement, Node, NodeList};
use zeroize::Zeroizing;

/// Anything that can be a grid row.
pub const ROW_SEL: &str = "[role=row],tr,.ms-DetailsRow,.fxc-gc-row";
const CELL_SEL: &str = "[role=gridcell],[role=rowheader],[data-automationid=DetailsRowCell],td,.fxc-gc-cell";
const HEADER_SEL: &str = "[role=columnheader],th";
const GRID_SEL: &str = "[role=grid],[role=treegrid],table,.ms-DetailsList";

/// At most this many rows are taken from one added subtree (a blade has a handful) ...
pub const MAX_ROWS_PER_NODE: u32 = 64;
/// ... and from the whole page when a frame starts watching or the queue overflowed.
pub const MAX_ROWS_PER_PAGE: u32 = 4096;

/// Text of one row's cells. Cell texts may contain the secret: they are wiped on drop.
pub struct RowText {
    /// The row element.
    pub row: Element,
    /// Cell texts, in display order.
    pub cells: Vec<Zeroizing<String>>,
    /// Header labels of the row's grid (may be empty or misaligned; the core checks).
    pub headers: Vec<String>,
}

/// The rows touched by a changed node: its enclosing row, or the rows inside it.
pub fn rows_for(node: &Node, out: &mut Vec<Element>, cap: u32) {
    let el = match node.dyn_ref::<Element>() {
        Some(e) => e.clone(),
        None => match node.parent_element() {
            Some(p) => p,
            None => return,
        },
    };
    if let Ok(Some(row)) = el.closest(ROW_SEL) {
        // Several text nodes of one row change together: read the row once.
        if out.last() != Some(&row) {
            out.push(row);
        }
        return;
    }
    if el.first_element_child().is_none() {
        return; // a leaf outside any row: nothing to read
    }
    if let Ok(list) = el.query_selector_all(ROW_SEL) {
        for i in 0..list.length().min(cap) {
            if let Some(r) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                out.push(r);
            }
        }
    }
}

/// Cheap pre-check before reading cells: a current/legacy secret always contains `Q~`;
/// other rows are read only when fresh (old-format secrets).
pub fn worth_reading(row: &Element, fresh: bool) -> bool {
    if fresh {
        return true;
    }
    visible_text(row).contains("Q~")
}

/// Elements looked at below one cell (a cell holds a handful; a hostile page may nest more).
const MAX_DEEP_ELEMENTS: u32 = 256;
/// Shadow roots nested in shadow roots, at most.
const MAX_SHADOW_DEPTH: u32 = 4;

/// The text a user sees in `el`: its text nodes, then the value of each text box or text
/// area below it, then the text inside each open shadow root below it, separated by spaces
/// (the core finds a secret inside a cell's text, so separators never join two values).
/// Closed shadow roots cannot be read by any extension; password and hidden fields show
/// nothing. An existing field's value changed only through its `value` property causes no
/// DOM mutation: such a row is read when anything else in it changes.
pub fn visible_text(el: &Element) -> Zeroizing<String> {
    let mut out = Zeroizing::new(el.text_content().unwrap_or_default());
    // Most cells have no element below them that could hide text: skip the walk.
    if el.first_element_child().is_some() {
        if let Ok(list) = el.query_selector_all("*") {
            append_hidden_text(&list, &mut out, 0);
        }
    }
    out
}

fn append_hidden_text(list: &NodeList, out: &mut Zeroizing<String>, depth: u32) {
    let push = |out: &mut Zeroizing<String>, text: &str| {
        if !text.trim().is_empty() {
            out.push(' ');
            out.push_str(text);
        }
    };
    for i in 0..list.length().min(MAX_DEEP_ELEMENTS) {
        let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        if let Some(input) = e.dyn_ref::<HtmlInputElement>() {
            if matches!(input.type_().as_str(), "text" | "search" | "url" | "") {
                push(out, &Zeroizing::new(input.value()));
            }
        } else if let Some(area) = e.dyn_ref::<HtmlTextAreaElement>() {
            push(out, &Zeroizing::new(area.value()));
        }
        if depth < MAX_SHADOW_DEPTH {
            if let Some(root) = e.shadow_root() {
                push(out, &Zeroizing::new(root.text_content().unwrap_or_default()));
                if let Ok(inner) = root.query_selector_all("*") {
                    append_hidden_text(&inner, out, depth + 1);
                }
            }
        }
    }
}

/// Reads a row's top-level cells (a cell nested in another cell is part of it).
pub fn read_row(row: &Element) -> Option<RowText> {
    let list = row.query_selector_all(CELL_SEL).ok()?;
    let mut cells = Vec::new();
    for i in 0..list.length() {
        let Some(cell) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else { continue };
        let nested = cell.parent_element().and_then(|p| p.closest(CELL_SEL).ok().flatten()).is_some_and(|outer| row.contains(Some(&outer)));
        if !nested {
            cells.push(visible_text(&cell));
        }
    }
    if cells.len() < 2 {
        return None;
    }
    Some(RowText { row: row.clone(), cells, headers: headers_of(row) })
}

fn headers_of(row: &Element) -> Vec<String> {
    let Some(grid) = row.closest(GRID_SEL).ok().flatten() else { return Vec::new() };
    let Ok(list) = grid.query_selector_all(HEADER_SEL) else { return Vec::new() };
    (0..list.length().min(16)).filter_map(|i| list.item(i)).map(|n| n.text_content().unwrap_or_default()).collect()
}
