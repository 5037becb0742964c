//! The HTML parse under a work budget.
//!
//! html5ever's tree builder looks through the stack of open elements for
//! many tokens (is a `p` in scope? is `body`?), so its work is tokens ×
//! depth: 4 090 nested `<div>`s and then two million `</p>` cost 8 × 10⁹
//! steps, 32 s and 341 MB (every `</p>` with no `p` open also makes an
//! empty one). The document is fed to the parser in slices, and a sink
//! around scraper's counts what the tree builder asks of it: a name
//! looked up, a node made or moved. Between slices, a parse over budget
//! stops, so no page costs more than about one slice past the budget.
//! Pure, like the rest of `extract`: the budget counts steps, not time.
//!
//! Must not decide anything about the article: it only parses.
//! Part of `extract` (ARCHITECTURE.md, "Codemap").

use std::borrow::Cow;
use std::cell::{Cell, Ref};

use ego_tree::NodeId;
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};
use scraper::{Html, HtmlTreeSink};

/// How much one parse may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Tree-builder steps: element names looked up, nodes made, moved or
    /// compared.
    pub steps: u64,
    /// Nodes made (elements, comments, text runs).
    pub nodes: u64,
}

/// The parse went over its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget;

/// Input fed to the parser at once, between two budget checks: at the
/// worst depth the pre-scan lets through (4 096), a slice of `</p>`s costs
/// about 16 million steps, some tens of milliseconds.
const SLICE: usize = 16 * 1024;

/// Parses a whole document within `budget`.
pub fn parse_document(text: &str, budget: Budget) -> Result<Html, OverBudget> {
    let sink = Counting::new(HtmlTreeSink::new(Html::new_document()));
    feed(
        html5ever::driver::parse_document(sink, Default::default()),
        text,
        budget,
    )
    .map(|r| r.0)
}

/// Parses an HTML fragment (a feed entry's content) as the children of a
/// `body`, within `budget`.
pub fn parse_fragment(text: &str, budget: Budget) -> Result<Html, OverBudget> {
    let sink = Counting::new(HtmlTreeSink::new(Html::new_fragment()));
    let body = QualName::new(None, html5ever::ns!(html), html5ever::local_name!("body"));
    feed(
        html5ever::driver::parse_fragment(sink, Default::default(), body, Vec::new(), false),
        text,
        budget,
    )
    .map(|r| r.0)
}

/// The document and the work it took.
fn feed(
    mut parser: html5ever::Parser<Counting>,
    text: &str,
    budget: Budget,
) -> Result<(Html, Budget), OverBudget> {
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(SLICE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (slice, tail) = rest.split_at(cut);
        parser.process(StrTendril::from_slice(slice));
        rest = tail;
        let sink = &parser.tokenizer.sink.sink;
        if sink.steps.get() > budget.steps || sink.nodes.get() > budget.nodes {
            return Err(OverBudget);
        }
    }
    let sink = &parser.tokenizer.sink.sink;
    let used = Budget {
        steps: sink.steps.get(),
        nodes: sink.nodes.get(),
    };
    Ok((parser.finish(), used))
}

/// scraper's sink, counting the tree builder's requests.
struct Counting {
    inner: HtmlTreeSink,
    steps: Cell<u64>,
    nodes: Cell<u64>,
}

impl Counting {
    fn new(inner: HtmlTreeSink) -> Counting {
        Counting {
            inner,
            steps: Cell::new(0),
            nodes: Cell::new(0),
        }
    }

    fn step(&self) {
        self.steps.set(self.steps.get() + 1);
    }

    fn node(&self) {
        self.step();
        self.nodes.set(self.nodes.get() + 1);
    }

    fn child(&self, child: &NodeOrText<NodeId>) {
        match child {
            NodeOrText::AppendText(_) => self.node(),
            NodeOrText::AppendNode(_) => self.step(),
        }
    }
}

impl TreeSink for Counting {
    type Handle = NodeId;
    type Output = Html;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Html {
        self.inner.finish()
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.inner.parse_error(msg)
    }

    fn get_document(&self) -> NodeId {
        self.inner.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Ref<'a, QualName> {
        self.step();
        self.inner.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        self.node();
        self.inner.create_element(name, attrs, flags)
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.node();
        self.inner.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.node();
        self.inner.create_pi(target, data)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        self.child(&child);
        self.inner.append(parent, child)
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        self.child(&child);
        self.inner
            .append_based_on_parent_node(element, prev_element, child)
    }

    fn append_doctype_to_document(
        &self,
        name: StrTendril,
        public_id: StrTendril,
        system_id: StrTendril,
    ) {
        self.node();
        self.inner
            .append_doctype_to_document(name, public_id, system_id)
    }

    fn mark_script_already_started(&self, node: &NodeId) {
        self.inner.mark_script_already_started(node)
    }

    fn pop(&self, node: &NodeId) {
        self.step();
        self.inner.pop(node)
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.step();
        self.inner.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.step();
        self.inner.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.inner.set_quirks_mode(mode)
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        self.child(&new_node);
        self.inner.append_before_sibling(sibling, new_node)
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.step();
        self.inner.add_attrs_if_missing(target, attrs)
    }

    fn associate_with_form(
        &self,
        target: &NodeId,
        form: &NodeId,
        nodes: (&NodeId, Option<&NodeId>),
    ) {
        self.inner.associate_with_form(target, form, nodes)
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.step();
        self.inner.remove_from_parent(target)
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.step();
        self.inner.reparent_children(node, new_parent)
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &NodeId) -> bool {
        self.inner
            .is_mathml_annotation_xml_integration_point(handle)
    }

    fn set_current_line(&self, line_number: u64) {
        self.inner.set_current_line(line_number)
    }

    fn allow_declarative_shadow_roots(&self, intended_parent: &NodeId) -> bool {
        self.inner.allow_declarative_shadow_roots(intended_parent)
    }

    fn attach_declarative_shadow(
        &self,
        location: &NodeId,
        template: &NodeId,
        attrs: &[Attribute],
    ) -> bool {
        self.inner
            .attach_declarative_shadow(location, template, attrs)
    }

    fn maybe_clone_an_option_into_selectedcontent(&self, option: &NodeId) {
        self.inner
            .maybe_clone_an_option_into_selectedcontent(option)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNLIMITED: Budget = Budget {
        steps: u64::MAX,
        nodes: u64::MAX,
    };

    fn used(text: &str) -> Budget {
        let sink = Counting::new(HtmlTreeSink::new(Html::new_document()));
        feed(
            html5ever::driver::parse_document(sink, Default::default()),
            text,
            UNLIMITED,
        )
        .expect("unlimited")
        .1
    }

    #[test]
    fn deep_nesting_then_stray_end_tags_stops_at_the_budget() {
        // The page: every `</p>` looks through 4 090 open `div`s for
        // a `p` and makes an empty one.
        let page = format!(
            "<html><body>{}{}",
            "<div>".repeat(4_090),
            "</p>".repeat(2_000_000)
        );
        let budget = crate::extract::PAGE_BUDGET;
        assert_eq!(parse_document(&page, budget).err(), Some(OverBudget));
        // `</body>` looks the stack through too, and makes nothing.
        let page = format!(
            "<html><body>{}{}",
            "<div>".repeat(4_090),
            "</body>".repeat(1_000_000)
        );
        assert_eq!(parse_document(&page, budget).err(), Some(OverBudget));
        // So many nodes that memory, not steps, is the bound.
        let page = "<b>".repeat(2_000_000);
        assert_eq!(parse_document(&page, budget).err(), Some(OverBudget));
        assert_eq!(parse_fragment(&page, budget).err(), Some(OverBudget));
    }

    #[test]
    fn real_pages_use_a_small_share_of_the_budget() {
        // 1 414 real pages (the extraction dev and L3S sets) took at most
        // 158 046 steps and 27 414 nodes; these fixtures stand for them.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pages");
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("html") {
                continue;
            }
            let b = std::fs::read(&p).unwrap();
            let (t, _, _) = crate::extract::charset::decode(&b, None);
            let u = used(&t);
            let budget = crate::extract::PAGE_BUDGET;
            assert!(
                u.steps * 10 < budget.steps && u.nodes * 10 < budget.nodes,
                "{}: {u:?}",
                p.display()
            );
            n += 1;
        }
        assert!(n > 10, "{n} pages");
    }
}
