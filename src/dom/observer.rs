//! RAII wrapper for a MutationObserver whose callback only queues nodes; the work happens
//! later, in a bounded batch (see `scan`). Dropping the wrapper disconnects the observer.
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MutationObserver, MutationObserverInit, MutationRecord, Node};

/// An observer that stays connected while this value lives.
#[must_use = "the observer disconnects when dropped"]
pub struct Observer {
    observer: MutationObserver,
    _callback: Closure<dyn FnMut(js_sys::Array)>,
}

impl Observer {
    /// Observes `target`'s subtree (child lists, text, `value` attributes) and hands every record's changed
    /// nodes to `on_nodes`, which must only queue them.
    pub fn new(target: &Node, mut on_nodes: impl FnMut(Node) + 'static) -> Result<Observer, JsValue> {
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |records: js_sys::Array| {
            for record in records.iter() {
                let record: MutationRecord = record.unchecked_into();
                // Text changed in place, or a text box's value attribute (React writes it).
                if record.type_() != "childList" {
                    if let Some(t) = record.target() {
                        on_nodes(t);
                    }
                    continue;
                }
                let added = record.added_nodes();
                for i in 0..added.length() {
                    if let Some(n) = added.item(i) {
                        on_nodes(n);
                    }
                }
            }
        });
        let observer = MutationObserver::new(callback.as_ref().unchecked_ref())?;
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        init.set_subtree(true);
        init.set_character_data(true);
        // Only `value`: any other attribute change would wake the batch for nothing.
        init.set_attribute_filter(&js_sys::Array::of1(&JsValue::from_str("value")));
        observer.observe_with_options(target, &init)?;
        Ok(Observer { observer, _callback: callback })
    }
}

impl Observer {
    /// Observes only `target`'s own children (no subtree, no text, no attributes) and calls
    /// `on_change` once per batch of records: cheap enough to watch `<html>` for a page that
    /// removes our frames.
    pub fn children(target: &Node, on_change: impl FnMut() + 'static) -> Result<Observer, JsValue> {
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        Self::batches(target, &init, on_change)
    }

    /// Observes `target`'s own attributes and calls `on_change` once per batch of records:
    /// a page that restyles or re-points one of our frames.
    pub fn attributes(target: &Node, on_change: impl FnMut() + 'static) -> Result<Observer, JsValue> {
        let init = MutationObserverInit::new();
        init.set_attributes(true);
        Self::batches(target, &init, on_change)
    }

    /// `on_change` once per batch of records matching `init` (the records themselves unread).
    fn batches(target: &Node, init: &MutationObserverInit, mut on_change: impl FnMut() + 'static) -> Result<Observer, JsValue> {
        let callback = Closure::<dyn FnMut(js_sys::Array)>::new(move |_records: js_sys::Array| on_change());
        let observer = MutationObserver::new(callback.as_ref().unchecked_ref())?;
        observer.observe_with_options(target, init)?;
        Ok(Observer { observer, _callback: callback })
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}
