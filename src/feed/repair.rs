//! Broken feed text → well-formed XML that a strict parser accepts.
//!
//! Pure: text in, text out. One pass of a forgiving tokenizer from the feed's
//! root element to its end tag, re-emitting every token in a form an XML
//! parser accepts: junk before the root and after its end tag dropped;
//! the root and namespaces normalised (RSS without or with an odd version,
//! `<RSS>`, Atom 0.3, RSS 0.90, UserLand, undeclared prefixes); entities
//! repaired (HTML named entities, DTD-declared ones, bare `&`, invalid
//! character references); stray `<` escaped; HTML inside text elements
//! turned into text; attributes quoted and deduplicated; unclosed elements
//! closed; a truncated last item dropped rather than invented.

use std::collections::HashMap;

pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const RSS1_NS: &str = "http://purl.org/rss/1.0/";
const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";

/// Nesting deeper than this is flattened: no feed needs it, and a parser
/// that recurses per level must never see ten thousand levels.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    Rss,
    Atom,
    Rdf,
}

#[derive(Debug)]
pub struct Repaired {
    pub xml: String,
    pub kind: RootKind,
}

/// Why a document could not be repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrepairable {
    /// No `rss`, `feed` or `RDF` element.
    NoRoot,
    /// Its declared entities would expand it past this many bytes.
    TooLarge { limit: usize },
}

/// Finds the feed root: the first `rss`, `feed` or `RDF` element, any case,
/// any prefix. Returns its byte offset and kind.
pub fn find_root(text: &str) -> Option<(usize, RootKind)> {
    let b = text.as_bytes();
    for lt in memchr::memchr_iter(b'<', b) {
        let rest = &text[lt + 1..];
        let name_len = rest
            .bytes()
            .take_while(|&c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'_' | b'-' | b'.'))
            .count();
        if name_len == 0 || name_len > 40 {
            continue;
        }
        let after = rest.as_bytes().get(name_len).copied();
        if !matches!(
            after,
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/')
        ) {
            continue;
        }
        let name = &rest[..name_len];
        let local = name.rsplit(':').next().unwrap_or(name);
        let kind = if local.eq_ignore_ascii_case("rss") {
            RootKind::Rss
        } else if local.eq_ignore_ascii_case("feed") {
            RootKind::Atom
        } else if local.eq_ignore_ascii_case("rdf") {
            RootKind::Rdf
        } else {
            continue;
        };
        return Some((lt, kind));
    }
    None
}

/// Entities declared in an internal DTD subset: `<!ENTITY name "value">`.
fn internal_entities(prolog: &str) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let mut rest = prolog;
    while let Some(at) = rest.find("<!ENTITY") {
        rest = &rest[at + 8..];
        let mut parts = rest.trim_start().splitn(2, char::is_whitespace);
        let (Some(name), Some(tail)) = (parts.next(), parts.next()) else {
            break;
        };
        let tail = tail.trim_start();
        let Some(q) = tail.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = tail[1..].find(q) {
            if name != "%" && map.len() < 256 {
                map.insert(name.to_string(), tail[1..1 + end].to_string());
            }
        }
    }
    map
}

struct Open {
    name: String,
    out_pos: usize,
    is_item: bool,
}

struct Repairer<'a> {
    src: &'a str,
    out: String,
    stack: Vec<Open>,
    kind: RootKind,
    atom03: bool,
    entities: HashMap<String, String>,
    declared: Vec<String>,
    used: Vec<String>,
    root_name_end: usize,
    /// Elements dropped for depth, so their end tags are dropped too.
    dropped_depth: usize,
    /// How long the output may grow through declared entities: one entity
    /// of 10 000 characters used 20 000 times turns 70 KB into 200 MB.
    max_len: usize,
    /// An expansion was refused for `max_len`.
    over: bool,
}

/// Repairs `text` into well-formed XML. Declared entities are expanded
/// only while the output stays within `max_len` bytes.
pub fn repair(text: &str, max_len: usize) -> Result<Repaired, Unrepairable> {
    let (root, kind) = find_root(text).ok_or(Unrepairable::NoRoot)?;
    let entities = if text[..root].contains("<!ENTITY") {
        internal_entities(&text[..root])
    } else {
        HashMap::new()
    };
    let mut r = Repairer {
        src: text,
        out: String::with_capacity(text.len() - root + 256),
        stack: Vec::new(),
        kind,
        atom03: false,
        entities,
        declared: Vec::new(),
        used: Vec::new(),
        root_name_end: 0,
        dropped_depth: 0,
        max_len,
        over: false,
    };
    r.run(root);
    if r.over {
        return Err(Unrepairable::TooLarge { limit: max_len });
    }
    Ok(Repaired { xml: r.out, kind })
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

impl Repairer<'_> {
    fn run(&mut self, mut i: usize) {
        let src = self.src;
        let b = src.as_bytes();
        while i < b.len() {
            let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| p + i) else {
                self.text(&src[i..]);
                break;
            };
            if lt > i {
                self.text(&src[i..lt]);
            }
            let rest = &src[lt..];
            let next = if rest.starts_with("<!--") {
                rest.find("-->").map(|e| lt + e + 3)
            } else if rest.starts_with("<![CDATA[") {
                match rest.find("]]>") {
                    Some(e) => {
                        self.cdata(&rest[9..e]);
                        Some(lt + e + 3)
                    }
                    None => None,
                }
            } else if rest.starts_with("<?") {
                rest.find("?>").map(|e| lt + e + 2)
            } else if rest.starts_with("<!") {
                rest.find('>').map(|e| lt + e + 1)
            } else if rest.starts_with("</") {
                match rest.find('>') {
                    Some(e) => {
                        let name = rest[2..e].trim();
                        if self.end_tag(name) {
                            // The root is closed: anything after it is junk.
                            return self.finish(true);
                        }
                        Some(lt + e + 1)
                    }
                    None => None,
                }
            } else if rest[1..].chars().next().is_some_and(is_name_start) {
                self.start_tag(lt)
            } else {
                self.out.push_str("&lt;");
                Some(lt + 1)
            };
            match next {
                Some(n) => i = n,
                // Truncated inside a construct: what follows is lost.
                None => break,
            }
        }
        self.finish(false)
    }

    /// Parses and re-emits a start tag at `lt`; returns where parsing goes on.
    fn start_tag(&mut self, lt: usize) -> Option<usize> {
        let src = self.src;
        let s = &src[lt + 1..];
        let name_len = s.find(|c: char| !is_name_char(c)).unwrap_or(s.len());
        let mut name = s[..name_len].trim_end_matches(':').to_string();
        let (mut attrs, self_closing, i) = read_attributes(src, lt + 1 + name_len)?;
        if name.matches(':').count() > 1 {
            name = local(&name).to_string();
        }
        if name.is_empty() {
            return Some(i);
        }
        let is_root = self.stack.is_empty();
        if !is_root && self.stack.len() >= MAX_DEPTH {
            if !self_closing {
                self.dropped_depth += 1;
            }
            return Some(i);
        }
        let loc = local(&name).to_ascii_lowercase();
        if is_root {
            match self.kind {
                RootKind::Rss => {
                    name = "rss".into();
                    let v = attrs.iter().position(|(n, _)| n == "version");
                    let ok =
                        v.is_some_and(|v| matches!(attrs[v].1.trim(), "0.91" | "0.92" | "2.0"));
                    if !ok {
                        attrs.retain(|(n, _)| n != "version");
                        attrs.insert(0, ("version".into(), "2.0".into()));
                    }
                }
                RootKind::Atom => {
                    self.atom03 = attrs.iter().any(|(n, v)| {
                        (n == "version" && v.trim() == "0.3") || v.trim() == ATOM03_NS
                    });
                }
                RootKind::Rdf => {}
            }
        } else if self.kind == RootKind::Rss && self.stack.len() == 1 && loc != "channel" {
            // Items (or channel fields) straight under <rss>: give them the
            // channel RSS requires.
            self.open_plain("channel");
        }
        if self.atom03 && !name.contains(':') {
            match loc.as_str() {
                "issued" => name = "published".into(),
                "modified" => name = "updated".into(),
                "tagline" => name = "subtitle".into(),
                "copyright" => name = "rights".into(),
                _ => {}
            }
        }
        let out_pos = self.out.len();
        self.out.push('<');
        self.out.push_str(&name);
        if is_root {
            self.root_name_end = self.out.len();
        }
        if let Some((p, _)) = name.split_once(':') {
            self.note_used(p);
        }
        for (an, av) in &attrs {
            let mut av = av.trim().to_string();
            if an == "xmlns" {
                match av.as_str() {
                    ATOM03_NS => av = ATOM_NS.into(),
                    RSS090_NS => av = RSS1_NS.into(),
                    v if v.starts_with("http://backend.userland.com/rss") => continue,
                    _ => {}
                }
            } else if let Some(p) = an.strip_prefix("xmlns:") {
                if av.trim_end_matches('/') == CONTENT_NS.trim_end_matches('/') {
                    av = CONTENT_NS.into();
                } else if av == ATOM03_NS {
                    av = ATOM_NS.into();
                }
                self.declared.push(p.to_string());
            } else if let Some((p, _)) = an.split_once(':') {
                self.note_used(p);
            }
            self.out.push(' ');
            self.out.push_str(an);
            self.out.push_str("=\"");
            self.escape_into(&av, true);
            self.out.push('"');
        }
        // A self-closing root (`<rss/>`, or a mangled attribute ending in
        // `/>`) would leave later elements outside any root: keep it open.
        if self_closing && !is_root {
            self.out.push_str("/>");
            return Some(i);
        }
        self.out.push('>');
        let is_item = matches!(loc.as_str(), "item" | "entry");
        if !is_root && self.is_text_element(&loc, &name, &attrs) {
            // Read to the matching end tag as text: HTML inside stays text.
            let (content_end, after) = self.find_raw_end(i, &name)?;
            self.raw_text(&src[i..content_end]);
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
            return Some(after);
        }
        self.stack.push(Open {
            name,
            out_pos,
            is_item,
        });
        Some(i)
    }

    fn open_plain(&mut self, name: &str) {
        let out_pos = self.out.len();
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.stack.push(Open {
            name: name.into(),
            out_pos,
            is_item: false,
        });
    }

    fn note_used(&mut self, p: &str) {
        if p != "xml" && p != "xmlns" && !self.used.iter().any(|u| u == p) {
            self.used.push(p.to_string());
        }
    }

    /// Elements whose content is text (or escaped HTML) by the format's
    /// rules, so that raw markup inside them is a publisher's mistake.
    fn is_text_element(&self, loc: &str, name: &str, attrs: &[(String, String)]) -> bool {
        let atomish =
            self.kind == RootKind::Atom || name.starts_with("atom:") || name.starts_with("a10:");
        if atomish {
            if !matches!(loc, "title" | "summary" | "content" | "subtitle" | "rights") {
                return false;
            }
            let ty = attrs
                .iter()
                .find(|(n, _)| n == "type")
                .map(|(_, v)| v.trim().to_ascii_lowercase())
                .unwrap_or_default();
            let base64 = attrs.iter().any(|(n, v)| n == "mode" && v == "base64");
            let xml = ty == "xhtml" || ty.ends_with("xml") || ty.ends_with("+xml");
            let escaped_or_plain =
                ty.is_empty() || ty == "text" || ty == "html" || ty.starts_with("text/");
            !xml && (escaped_or_plain || base64)
        } else {
            matches!(
                loc,
                "title" | "description" | "encoded" | "comments" | "summary"
            ) && !name.starts_with("media:")
        }
    }

    /// End of a text element's content: the matching end tag, skipping CDATA
    /// sections. `None` when the document ends first (truncated).
    fn find_raw_end(&self, from: usize, name: &str) -> Option<(usize, usize)> {
        let b = self.src.as_bytes();
        let mut i = from;
        loop {
            let lt = memchr::memchr(b'<', &b[i..])? + i;
            let rest = &self.src[lt..];
            if let Some(body) = rest.strip_prefix("<![CDATA[") {
                i = lt + 9 + body.find("]]>")? + 3;
                continue;
            }
            if let Some(after) = rest.strip_prefix("</") {
                if after.len() >= name.len()
                    && after.is_char_boundary(name.len())
                    && after[..name.len()].eq_ignore_ascii_case(name)
                {
                    let tail = &after[name.len()..];
                    let ws = tail.len() - tail.trim_start().len();
                    if tail[ws..].starts_with('>') {
                        return Some((lt, lt + 2 + name.len() + ws + 1));
                    }
                }
            }
            i = lt + 1;
        }
    }

    /// Content of a text element: CDATA kept, markup escaped.
    fn raw_text(&mut self, s: &str) {
        let mut rest = s;
        while let Some(at) = rest.find("<![CDATA[") {
            self.escape_into(&rest[..at], true);
            let body = &rest[at + 9..];
            let end = body.find("]]>").unwrap_or(body.len());
            self.cdata(&body[..end]);
            rest = body.get(end + 3..).unwrap_or("");
        }
        self.escape_into(rest, true);
    }

    fn cdata(&mut self, s: &str) {
        self.out.push_str("<![CDATA[");
        push_clean(&mut self.out, s);
        self.out.push_str("]]>");
    }

    /// Returns true when this closed the root element.
    fn end_tag(&mut self, name: &str) -> bool {
        let name = name.split_whitespace().next().unwrap_or("");
        if self.kind == RootKind::Rss
            && local(name).eq_ignore_ascii_case("channel")
            && self.stack.len() >= 2
        {
            // Items often follow </channel>; keep the channel open to the end.
            return false;
        }
        let found = self.stack.iter().rposition(|o| o.name == name).or_else(|| {
            self.stack
                .iter()
                .rposition(|o| o.name.eq_ignore_ascii_case(name))
        });
        let Some(idx) = found else {
            if self.dropped_depth > 0 {
                self.dropped_depth -= 1;
            }
            return false;
        };
        if self.dropped_depth > 0 && idx + 1 == self.stack.len() && self.stack.len() >= MAX_DEPTH {
            // Closing one of the flattened elements that shares a name with
            // an open one: keep the open one.
            self.dropped_depth -= 1;
            return false;
        }
        while self.stack.len() > idx {
            if let Some(o) = self.stack.pop() {
                self.out.push_str("</");
                self.out.push_str(&o.name);
                self.out.push('>');
            }
        }
        idx == 0
    }

    fn finish(&mut self, closed_root: bool) {
        if !closed_root {
            // The document ended early: an item still open is incomplete, and
            // a half item must not pass for a whole one.
            if let Some(idx) = self.stack.iter().position(|o| o.is_item) {
                self.out.truncate(self.stack[idx].out_pos);
                self.stack.truncate(idx);
            }
            while let Some(o) = self.stack.pop() {
                self.out.push_str("</");
                self.out.push_str(&o.name);
                self.out.push('>');
            }
        }
        // Prefixes used but never declared: declare them, so that a
        // namespace-aware parser does not reject the document.
        let missing: Vec<String> = self
            .used
            .iter()
            .filter(|u| !self.declared.contains(u))
            .cloned()
            .collect();
        if !missing.is_empty()
            && self.root_name_end > 0
            && self.out.is_char_boundary(self.root_name_end)
        {
            let mut decl = String::new();
            for p in missing {
                decl.push_str(&format!(" xmlns:{p}=\"{}\"", known_namespace(&p)));
            }
            self.out.insert_str(self.root_name_end, &decl);
        }
    }

    fn text(&mut self, s: &str) {
        if self.stack.is_empty() {
            return;
        }
        self.escape_into(s, false);
    }

    /// Copies text, repairing entities and dropping characters XML forbids;
    /// `<` (and `"` in attributes) escaped.
    fn escape_into(&mut self, s: &str, escape_lt: bool) {
        let clean = !s.bytes().any(|c| {
            c == b'&' || c == b'<' || c == b'"' || (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
        });
        if clean {
            self.out.push_str(s);
            return;
        }
        let mut i = 0;
        let b = s.as_bytes();
        let mut run = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'&' {
                self.out.push_str(&s[run..i]);
                i = self.entity(s, i);
                run = i;
                continue;
            }
            if c == b'<'
                || (c == b'"' && escape_lt)
                || (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            {
                self.out.push_str(&s[run..i]);
                match c {
                    b'<' => self.out.push_str("&lt;"),
                    b'"' => self.out.push_str("&quot;"),
                    _ => {}
                }
                run = i + 1;
            }
            i += 1;
        }
        self.out.push_str(&s[run..]);
    }

    /// Handles the `&` at `i`; returns the index after what was consumed.
    fn entity(&mut self, s: &str, i: usize) -> usize {
        let rest = &s[i + 1..];
        let semi = rest.bytes().take(40).position(|c| c == b';');
        let Some(semi) = semi else {
            self.out.push_str("&amp;");
            return i + 1;
        };
        let body = &rest[..semi];
        let after = i + 1 + semi + 1;
        if let Some(num) = body.strip_prefix('#') {
            let cp = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            match cp {
                Some(cp) if !num.is_empty() && !num.starts_with(['+', '-']) => {
                    match char::from_u32(cp).filter(|&c| xml_char(c)) {
                        Some(c) => push_escaped_char(&mut self.out, c),
                        None => self.out.push('\u{FFFD}'),
                    }
                    return after;
                }
                _ => {
                    self.out.push_str("&amp;");
                    return i + 1;
                }
            }
        }
        if body.is_empty() || !body.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.out.push_str("&amp;");
            return i + 1;
        }
        match body {
            "amp" | "lt" | "gt" | "quot" | "apos" => {
                self.out.push_str(&s[i..after]);
                return after;
            }
            _ => {}
        }
        if let Some(v) = self.entities.get(body) {
            if self.over || self.out.len().saturating_add(v.len()) > self.max_len {
                self.over = true;
                return after;
            }
            let v = v.clone();
            // Declared replacement text may itself hold entities.
            let mut tmp = String::new();
            std::mem::swap(&mut tmp, &mut self.out);
            let mut sub = Repairer {
                src: "",
                out: tmp,
                stack: Vec::new(),
                kind: self.kind,
                atom03: false,
                entities: HashMap::new(),
                declared: Vec::new(),
                used: Vec::new(),
                root_name_end: 0,
                dropped_depth: 0,
                max_len: self.max_len,
                over: false,
            };
            sub.escape_into(&v, true);
            self.out = sub.out;
            return after;
        }
        let key = format!("{body};");
        if let Some(&(a, b)) = web_atoms::NAMED_ENTITIES.get(key.as_str()) {
            for cp in [a, b] {
                if let Some(c) = char::from_u32(cp).filter(|&c| c != '\0') {
                    push_escaped_char(&mut self.out, c);
                }
            }
            return after;
        }
        self.out.push_str("&amp;");
        i + 1
    }
}

/// A start tag's attributes, names and values, in order.
type Attributes = Vec<(String, String)>;

/// Reads a start tag's attributes from `from` (just after its name),
/// leniently: quoted, unquoted, valueless, duplicated (the first kept),
/// invalid names dropped. Gives the attributes, whether the tag closed
/// itself, and where the tag ends; `None` when the text ends inside it.
fn read_attributes(src: &str, from: usize) -> Option<(Attributes, bool, usize)> {
    let mut attrs: Attributes = Vec::new();
    let b = src.as_bytes();
    let mut i = from;
    let self_closing;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        match b[i] {
            b'>' => {
                self_closing = false;
                i += 1;
                break;
            }
            b'/' if b.get(i + 1) == Some(&b'>') => {
                self_closing = true;
                i += 2;
                break;
            }
            b'<' => {
                // A tag that never closed: end it here.
                self_closing = false;
                break;
            }
            _ => {}
        }
        let an_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'<') {
            if b[i] == b'/' && b.get(i + 1) == Some(&b'>') {
                break;
            }
            i += 1;
        }
        let aname = &src[an_start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = None;
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let v_start = i + 1;
                    let close = memchr::memchr(q, &b[v_start..]).map(|p| p + v_start);
                    let gt = memchr::memchr(b'>', &b[v_start..]).map(|p| p + v_start);
                    match close {
                        Some(c) => {
                            value = Some(&src[v_start..c]);
                            i = c + 1;
                        }
                        None => {
                            let end = gt?;
                            value = Some(&src[v_start..end]);
                            i = end;
                        }
                    }
                }
                Some(_) => {
                    let v_start = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    let mut v = &src[v_start..i];
                    // `type=audio/mpeg/>`: the slash closes the tag.
                    if b.get(i) == Some(&b'>') && v.ends_with('/') {
                        v = &v[..v.len() - 1];
                        i -= 1;
                    }
                    value = Some(v);
                }
                None => return None,
            }
        }
        let valid = aname.chars().next().is_some_and(is_name_start)
            && aname.chars().all(is_name_char)
            && aname.matches(':').count() <= 1
            && !aname.ends_with(':');
        if valid && !attrs.iter().any(|(n, _)| n == aname) {
            attrs.push((aname.to_string(), value.unwrap_or(aname).to_string()));
        }
        if i == an_start {
            i += 1; // a stray character: skip it
        }
    }
    Some((attrs, self_closing, i))
}

fn push_escaped_char(out: &mut String, c: char) {
    match c {
        '<' => out.push_str("&lt;"),
        '&' => out.push_str("&amp;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Copies CDATA content without the control characters XML forbids.
fn push_clean(out: &mut String, s: &str) {
    if s.bytes()
        .all(|c| c >= 0x20 || matches!(c, b'\t' | b'\n' | b'\r'))
    {
        out.push_str(s);
    } else {
        out.extend(s.chars().filter(|&c| xml_char(c)));
    }
}

fn known_namespace(prefix: &str) -> String {
    match prefix {
        "dc" => "http://purl.org/dc/elements/1.1/".into(),
        "content" => CONTENT_NS.into(),
        "media" => "http://search.yahoo.com/mrss/".into(),
        "atom" | "a10" => ATOM_NS.into(),
        "rdf" => "http://www.w3.org/1999/02/22-rdf-syntax-ns#".into(),
        "sy" => "http://purl.org/rss/1.0/modules/syndication/".into(),
        "slash" => "http://purl.org/rss/1.0/modules/slash/".into(),
        "wfw" => "http://wellformedweb.org/CommentAPI/".into(),
        "itunes" => "http://www.itunes.com/dtds/podcast-1.0.dtd".into(),
        "georss" => "http://www.georss.org/georss".into(),
        p => format!("urn:tidings:undeclared:{p}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(s: &str) -> String {
        repair(s, usize::MAX).map(|r| r.xml).unwrap_or_default()
    }

    #[test]
    fn junk_before_and_after_root_dropped() {
        let x = fix("<br/><b>Warning</b>\n<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>PHP Notice");
        assert_eq!(
            x,
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
        );
    }

    #[test]
    fn entity_expansion_counts_against_the_limit() {
        let big = "x".repeat(10_000);
        let uses = "&big;".repeat(2_000);
        let doc = format!("<!DOCTYPE rss [<!ENTITY big \"{big}\">]><rss><channel><title>{uses}</title></channel></rss>");
        assert_eq!(
            repair(&doc, 1 << 20).map(|r| r.xml.len()),
            Err(Unrepairable::TooLarge { limit: 1 << 20 })
        );
        // Within the limit the same entity expands as declared.
        let few = format!("<!DOCTYPE rss [<!ENTITY big \"{big}\">]><rss><channel><title>&big;&big;</title></channel></rss>");
        let x = repair(&few, 1 << 20).unwrap().xml;
        assert!(
            x.contains(&format!("<title>{big}{big}</title>")),
            "{}",
            x.len()
        );
    }

    #[test]
    fn entities_repaired() {
        let x = fix("<rss><channel><title>Caf&eacute; &amp; Tom & Jerry &#0; &#X41; &bogus; &corp;</title></channel></rss>");
        assert!(
            x.contains(
                "<title>Café &amp; Tom &amp; Jerry \u{FFFD} A &amp;bogus; &amp;corp;</title>"
            ),
            "{x}"
        );
        let x = fix("<!DOCTYPE rss [<!ENTITY corp \"Example &amp; Co\">]><rss><channel><title>&corp;</title></channel></rss>");
        assert!(x.contains("<title>Example &amp; Co</title>"), "{x}");
    }

    #[test]
    fn html_in_description_becomes_text() {
        let x = fix("<rss version=\"2.0\"><channel><item><description><p>one<p>two & <br></description></item></channel></rss>");
        assert!(
            x.contains("<description>&lt;p>one&lt;p>two &amp; &lt;br></description>"),
            "{x}"
        );
    }

    #[test]
    fn truncated_item_is_dropped() {
        let x =
            fix("<rss version=\"2.0\"><channel><item><title>a</title></item><item><title>b</ti");
        assert_eq!(
            x,
            "<rss version=\"2.0\"><channel><item><title>a</title></item></channel></rss>"
        );
    }

    #[test]
    fn attributes_quoted_and_deduplicated() {
        let x = fix("<rss><channel><item><enclosure url=https://e.com/a.mp3 url=\"b\" type=audio/mpeg/></item></channel></rss>");
        assert!(
            x.contains("<enclosure url=\"https://e.com/a.mp3\" type=\"audio/mpeg\"/>"),
            "{x}"
        );
    }

    #[test]
    fn root_and_namespaces_normalised() {
        let x = fix("<RSS><item><dc:creator>x</dc:creator></item></RSS>");
        assert!(x.starts_with("<rss xmlns:dc=\"http://purl.org/dc/elements/1.1/\" version=\"2.0\"><channel><item>"), "{x}");
        assert!(x.ends_with("</item></channel></rss>"), "{x}");
        let x = fix("<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><entry><issued>x</issued></entry></feed>");
        assert!(x.contains("xmlns=\"http://www.w3.org/2005/Atom\""), "{x}");
        assert!(x.contains("<published>x</published>"), "{x}");
    }

    #[test]
    fn deep_nesting_is_flattened() {
        let doc = format!(
            "<rss><channel><item>{}x{}</item></channel></rss>",
            "<x>".repeat(5000),
            "</x>".repeat(5000)
        );
        let x = fix(&doc);
        assert!(x.matches("<x>").count() < MAX_DEPTH);
        assert!(
            x.ends_with("</item></channel></rss>"),
            "{}",
            &x[x.len() - 60..]
        );
    }
}
