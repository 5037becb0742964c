//! Adding feeds to a config file without disturbing it: the user's
//! comments, order and layout are kept byte for byte (toml_edit), and the
//! new `[[feeds]]` tables go right after the last feed.
//!
//! Pure: text in, text out; checking the result and writing the file are
//! the caller's.

use toml_edit::{value, Array, ArrayOfTables, DocumentMut, Item, Table};

/// A feed to add.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeed {
    pub name: String,
    pub url: String,
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EditError {
    #[error("not TOML: {0}")]
    Toml(String),
    #[error("`feeds` is not a list of [[feeds]] tables")]
    FeedsNotTables,
}

/// `text` with `feeds` appended to its `[[feeds]]` list.
pub fn append_feeds(text: &str, feeds: &[NewFeed]) -> Result<String, EditError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| EditError::Toml(e.message().trim().to_string()))?;
    let item = doc
        .entry("feeds")
        .or_insert(Item::ArrayOfTables(ArrayOfTables::new()));
    let list = item
        .as_array_of_tables_mut()
        .ok_or(EditError::FeedsNotTables)?;
    // toml_edit writes a pushed table right after the list's last one,
    // whatever follows it in the file.
    for f in feeds {
        let mut t = Table::new();
        t["name"] = value(f.name.as_str());
        t["url"] = value(f.url.as_str());
        if !f.tags.is_empty() {
            let tags: Array = f.tags.iter().map(String::as_str).collect();
            t["tags"] = value(tags);
        }
        list.push(t);
    }
    let mut out = doc.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(name: &str) -> NewFeed {
        NewFeed {
            name: name.into(),
            url: format!("https://{name}.example/feed"),
            tags: vec![],
        }
    }

    #[test]
    fn keeps_comments_and_layout() {
        let text = "# my config\n[store]\ndatabase = \"x.db\"   # here\n\n# the feeds\n[[feeds]]\nname = \"a\"  # first\nurl = \"https://a.example/\"\n\n[[alerts]]\nkind = \"webhook\"\nurl = \"https://h.example/\"\n";
        let mut tagged = feed("b");
        tagged.tags = vec!["x".into(), "y z".into()];
        let out = append_feeds(text, &[tagged, feed("c")]).unwrap();
        let (feeds_part, alerts_part) = text.split_at(text.find("[[alerts]]").unwrap());
        assert_eq!(
            out,
            format!(
                "{feeds_part}[[feeds]]\nname = \"b\"\nurl = \"https://b.example/feed\"\ntags = [\"x\", \"y z\"]\n\n[[feeds]]\nname = \"c\"\nurl = \"https://c.example/feed\"\n\n{alerts_part}"
            ),
            "new feeds after the last one, the rest untouched"
        );
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["feeds"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn a_config_without_feeds_gets_its_first() {
        let out = append_feeds("[store]\ndatabase = \"x.db\"", &[feed("a")]).unwrap();
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(parsed["feeds"][0]["name"].as_str(), Some("a"));
        assert!(out.starts_with("[store]\ndatabase = \"x.db\"\n"), "{out}");
    }

    #[test]
    fn quotes_what_needs_quoting() {
        let mut f = feed("a");
        f.name = "quote \" and \\ back".into();
        let out = append_feeds("", &[f]).unwrap();
        let parsed: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(
            parsed["feeds"][0]["name"].as_str(),
            Some("quote \" and \\ back")
        );
    }

    #[test]
    fn refuses_a_feeds_key_of_another_kind() {
        assert_eq!(
            append_feeds("feeds = 3\n", &[feed("a")]),
            Err(EditError::FeedsNotTables)
        );
        assert!(matches!(
            append_feeds("[store\n", &[feed("a")]),
            Err(EditError::Toml(_))
        ));
    }
}
