//! Lenient JSON Feed reading, for documents the strict reader rejects:
//! numeric ids, a string author, tags that are not a list, sizes as strings,
//! a missing or unknown version, trailing commas.
//!
//! Pure: text in, raw entries out.

use super::salvage::{RawEntry, RawFeed};
use serde_json::Value;

/// Why a JSON document is not a feed, in a few words.
pub type NotFeed = &'static str;

pub fn read(text: &str) -> Result<RawFeed, NotFeed> {
    let v: Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(_) => serde_json::from_str(&strip_trailing_commas(text.trim()))
            .map_err(|_| "JSON that does not parse")?,
    };
    let Value::Object(top) = v else {
        return Err("JSON without an items list");
    };
    let Some(Value::Array(items)) = top.get("items") else {
        return Err("JSON without an items list");
    };
    let mut feed = RawFeed {
        title: string(top.get("title")),
        ..RawFeed::default()
    };
    for it in items {
        let Value::Object(o) = it else { continue };
        let mut e = RawEntry {
            guid: string(o.get("id")),
            link: string(o.get("url")).or_else(|| string(o.get("external_url"))),
            title: string(o.get("title")),
            published: string(o.get("date_published")),
            updated: string(o.get("date_modified")),
            summary: string(o.get("summary")),
            content: string(o.get("content_html")).or_else(|| string(o.get("content_text"))),
            ..RawEntry::default()
        };
        for a in [o.get("author")].into_iter().chain(
            o.get("authors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(Some),
        ) {
            let name = match a {
                Some(Value::Object(p)) => string(p.get("name")),
                Some(other) => string(Some(other)),
                None => None,
            };
            if let Some(n) = name {
                if !e.authors.contains(&n) {
                    e.authors.push(n);
                }
            }
        }
        feed.entries.push(e);
    }
    Ok(feed)
}

/// A string or number as text; anything else is absent.
fn string(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Removes commas that directly precede `]` or `}` outside strings.
fn strip_trailing_commas(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_str = false;
    let mut esc = false;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        if c == ',' {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            if matches!(next, Some(']') | Some('}')) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_items() {
        let f = read(r#"{"items":[{"id":7,"author":"Ann","tags":"x","title":"t",},{"id":"a","authors":[{"name":"Bo"}]},]}"#)
            .unwrap();
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].guid.as_deref(), Some("7"));
        assert_eq!(f.entries[0].authors, vec!["Ann".to_string()]);
        assert_eq!(f.entries[1].authors, vec!["Bo".to_string()]);
    }

    #[test]
    fn not_feeds() {
        assert_eq!(read(r#"{"items":{}}"#), Err("JSON without an items list"));
        assert_eq!(read("[1,2]"), Err("JSON without an items list"));
        assert_eq!(read("{nope"), Err("JSON that does not parse"));
    }
}
