//! OPML, the feed list every feed reader imports and exports: reading the
//! feeds out of one, and writing the configured feeds as one.
//!
//! Pure: text in, text out; reading and writing files is the caller's.
//! Folders (outlines without a feed URL that hold others) become tags.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

/// A feed found in (or written to) an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    /// Its title (`title`, else `text`), if any.
    pub title: Option<String>,
    /// `xmlUrl`, as written.
    pub url: String,
    /// The folders it sits in, outermost first, and its `category` values.
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OpmlError {
    #[error("not OPML: {0}")]
    NotOpml(String),
    #[error("malformed XML at byte {position}: {message}")]
    Xml { position: u64, message: String },
}

fn attrs(e: &BytesStart) -> Vec<(String, String)> {
    e.attributes()
        .flatten()
        .filter_map(|a| {
            let key = a.key.local_name().as_ref().to_string();
            let value = a
                .normalized_value(XmlVersion::Implicit1_0)
                .ok()?
                .trim()
                .to_string();
            Some((key, value))
        })
        .collect()
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    // Readers differ in case (xmlUrl, xmlurl, XMLURL).
    attrs
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case(name) && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// The feeds of an OPML document, in document order.
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut feeds = Vec::new();
    // The open outlines: the folder's name, if the outline is a folder.
    let mut stack: Vec<Option<String>> = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader.read_event().map_err(|e| OpmlError::Xml {
            position: reader.error_position(),
            message: e.to_string(),
        })?;
        let (e, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref().eq_ignore_ascii_case("outline") {
                    stack.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.local_name();
        if !root_seen {
            if !name.as_ref().eq_ignore_ascii_case("opml") {
                return Err(OpmlError::NotOpml(format!(
                    "the document is <{}>, not <opml>",
                    name.as_ref()
                )));
            }
            root_seen = true;
            continue;
        }
        if !name.as_ref().eq_ignore_ascii_case("outline") {
            continue;
        }
        let a = attrs(e);
        let title = attr(&a, "title").or(attr(&a, "text")).map(str::to_string);
        match attr(&a, "xmlUrl") {
            Some(url) => {
                let mut tags: Vec<String> = stack.iter().flatten().cloned().collect();
                for c in attr(&a, "category").unwrap_or("").split(',') {
                    // OPML categories are paths ("/news/rights"): the last part.
                    let c = c.trim().trim_matches('/');
                    let c = c.rsplit('/').next().unwrap_or(c).trim();
                    if !c.is_empty() && !tags.iter().any(|t| t == c) {
                        tags.push(c.to_string());
                    }
                }
                feeds.push(OpmlFeed {
                    title,
                    url: url.to_string(),
                    tags,
                });
                if !empty {
                    stack.push(None);
                }
            }
            None if !empty => stack.push(title),
            None => {}
        }
    }
    if !root_seen {
        return Err(OpmlError::NotOpml("the document is empty".into()));
    }
    Ok(feeds)
}

/// An OPML 2.0 document listing `feeds`; `title` names the list.
pub fn render(title: &str, feeds: &[OpmlFeed]) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    // Writing to a Vec cannot fail.
    let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)));
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    let _ = w.write_event(Event::Start(opml));
    let _ = w.write_event(Event::Start(BytesStart::new("head")));
    let _ = w.write_event(Event::Start(BytesStart::new("title")));
    let _ = w.write_event(Event::Text(BytesText::new(title)));
    let _ = w.write_event(Event::End(BytesEnd::new("title")));
    let _ = w.write_event(Event::End(BytesEnd::new("head")));
    let _ = w.write_event(Event::Start(BytesStart::new("body")));
    for f in feeds {
        let mut o = BytesStart::new("outline");
        let name = f.title.as_deref().unwrap_or(&f.url);
        o.push_attribute(("type", "rss"));
        o.push_attribute(("text", name));
        o.push_attribute(("title", name));
        o.push_attribute(("xmlUrl", f.url.as_str()));
        if !f.tags.is_empty() {
            o.push_attribute(("category", f.tags.join(",").as_str()));
        }
        let _ = w.write_event(Event::Empty(o));
    }
    let _ = w.write_event(Event::End(BytesEnd::new("body")));
    let _ = w.write_event(Event::End(BytesEnd::new("opml")));
    let mut out = String::from_utf8(w.into_inner()).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_feeds_folders_and_categories() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>My feeds</title></head>
  <body>
    <outline text="Rights">
      <outline text="Watch &amp; Report" type="rss" xmlUrl="https://a.example/feed?x=1&amp;y=2" category="/news/chechnya"/>
      <outline title="B" text="ignored" xmlURL="https://b.example/atom"></outline>
    </outline>
    <outline type="rss" xmlUrl="https://c.example/rss" />
    <outline text="Empty folder"/>
  </body>
</opml>"#;
        let feeds = parse(text).unwrap();
        assert_eq!(
            feeds,
            [
                OpmlFeed {
                    title: Some("Watch & Report".into()),
                    url: "https://a.example/feed?x=1&y=2".into(),
                    tags: vec!["Rights".into(), "chechnya".into()],
                },
                OpmlFeed {
                    title: Some("B".into()),
                    url: "https://b.example/atom".into(),
                    tags: vec!["Rights".into()],
                },
                OpmlFeed {
                    title: None,
                    url: "https://c.example/rss".into(),
                    tags: vec![],
                },
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_opml() {
        assert!(matches!(
            parse("<rss><channel/></rss>"),
            Err(OpmlError::NotOpml(_))
        ));
        assert!(matches!(parse(""), Err(OpmlError::NotOpml(_))));
        assert!(matches!(
            parse("<opml><body><outline xmlUrl=\"x\"></body></opml>"),
            Err(OpmlError::Xml { .. })
        ));
    }

    #[test]
    fn what_it_writes_it_reads_back() {
        let feeds = vec![
            OpmlFeed {
                title: Some("a <b> & \"c\"".into()),
                url: "https://a.example/f?x=1&y=2".into(),
                tags: vec!["one".into(), "two".into()],
            },
            OpmlFeed {
                title: Some("d".into()),
                url: "https://d.example/".into(),
                tags: vec![],
            },
        ];
        let text = render("tidings", &feeds);
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert_eq!(parse(&text).unwrap(), feeds);
    }
}
