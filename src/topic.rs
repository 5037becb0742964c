//! The topic query: what counts as coverage.
//!
//! Pure: no I/O. A query is boolean keywords: terms, `prefix*`, "quoted
//! phrases", `AND`, `OR`, `NOT`, parentheses; terms side by side mean AND.
//! Matching is case- and accent-insensitive over the article's words.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

/// A parsed query's tree, for those that render it in another syntax (the
/// store's full-text index).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A word, or a phrase of several words in order; the last may be a prefix.
    Phrase {
        words: Vec<String>,
        prefix: bool,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A parsed topic query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    source: String,
    expr: Expr,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("topic query: {message} at character {position}")]
pub struct QueryError {
    pub message: String,
    pub position: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String, bool),
    Phrase(Vec<String>),
    And,
    Or,
    Not,
    Open,
    Close,
}

/// Lower-cases and strips accents, so "Čečnja" matches "cecnja".
fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a text, folded: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Other search engines' syntax, which the words-only reading would take
/// in silence and answer something else: `-word` would find "word",
/// `word^2` the phrase "word 2", `NEAR(a b)` the word "near". Refused,
/// with what to write instead.
fn foreign_syntax(raw: &str, next: Option<char>) -> Option<String> {
    if let Some(rest) = raw.strip_prefix(['-', '+']).filter(|r| !r.is_empty()) {
        let sign = &raw[..1];
        return Some(if sign == "-" {
            format!("'{raw}' is not a query: write NOT {rest}")
        } else {
            format!("'{raw}' is not a query: words side by side must all occur; write {rest}")
        });
    }
    if raw.contains('^') {
        return Some(format!("'{raw}' is not a query: there are no weights (^)"));
    }
    if raw == "NEAR" && next == Some('(') {
        return Some("NEAR(...) is not supported: use a \"phrase\" or AND".into());
    }
    None
}

fn lex(q: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = q.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push((Tok::Open, pos));
                i += 1;
            }
            ')' => {
                out.push((Tok::Close, pos));
                i += 1;
            }
            '"' => {
                let start = i + 1;
                let mut j = start;
                while j < chars.len() && chars[j].1 != '"' {
                    j += 1;
                }
                if j == chars.len() {
                    return Err(QueryError {
                        message: "unclosed quote".into(),
                        position: pos,
                    });
                }
                let text: String = chars[start..j].iter().map(|(_, c)| c).collect();
                let ws = words(&text);
                if ws.is_empty() {
                    return Err(QueryError {
                        message: "empty phrase".into(),
                        position: pos,
                    });
                }
                out.push((Tok::Phrase(ws), pos));
                i = j + 1;
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].1.is_whitespace()
                    && !matches!(chars[i].1, '(' | ')' | '"')
                {
                    i += 1;
                }
                let raw: String = chars[start..i].iter().map(|(_, c)| c).collect();
                if let Some(message) = foreign_syntax(&raw, chars.get(i).map(|c| c.1)) {
                    return Err(QueryError {
                        message,
                        position: pos,
                    });
                }
                let tok = match raw.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ => {
                        let prefix = raw.ends_with('*');
                        let ws = words(raw.trim_end_matches('*'));
                        match ws.len() {
                            0 => {
                                return Err(QueryError {
                                    message: format!("'{raw}' is not a word"),
                                    position: pos,
                                })
                            }
                            1 => Tok::Word(ws.into_iter().next().unwrap_or_default(), prefix),
                            // "LGBT-rights" reads as the phrase of its parts.
                            _ => Tok::Phrase(ws),
                        }
                    }
                };
                out.push((tok, pos));
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    at: usize,
    end: usize,
    /// Parentheses and NOTs open around the current token.
    depth: usize,
}

/// How deep parentheses and NOTs may nest. Parsing, matching and
/// dropping a query recurse once per level: 20,000 levels overflowed the
/// stack and aborted the daemon; no real query nests past a handful.
const MAX_NESTING: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.at).map_or(self.end, |(_, p)| *p)
    }
    fn err(&self, message: &str) -> QueryError {
        QueryError {
            message: message.into(),
            position: self.pos(),
        }
    }
    fn nested(
        &mut self,
        inner: fn(&mut Parser) -> Result<Expr, QueryError>,
    ) -> Result<Expr, QueryError> {
        if self.depth >= MAX_NESTING {
            // At the '(' or NOT that went one level too deep.
            return Err(QueryError {
                message: format!("parentheses and NOTs nest more than {MAX_NESTING} deep"),
                position: self.toks[self.at.saturating_sub(1)].1,
            });
        }
        self.depth += 1;
        let e = inner(self);
        self.depth -= 1;
        e
    }
    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Expr::And(vec![]))
        } else {
            Expr::Or(parts)
        })
    }
    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.at += 1;
                    parts.push(self.unary()?);
                }
                Some(Tok::Word(..) | Tok::Phrase(_) | Tok::Not | Tok::Open) => {
                    parts.push(self.unary()?)
                }
                _ => break,
            }
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Expr::And(vec![]))
        } else {
            Expr::And(parts)
        })
    }
    fn unary(&mut self) -> Result<Expr, QueryError> {
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.at += 1;
                Ok(Expr::Not(Box::new(self.nested(Self::unary)?)))
            }
            Some(Tok::Open) => {
                self.at += 1;
                let e = self.nested(Self::or)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(self.err("expected ')'"));
                }
                self.at += 1;
                Ok(e)
            }
            Some(Tok::Word(w, prefix)) => {
                self.at += 1;
                Ok(Expr::Phrase {
                    words: vec![w],
                    prefix,
                })
            }
            Some(Tok::Phrase(words)) => {
                self.at += 1;
                Ok(Expr::Phrase {
                    words,
                    prefix: false,
                })
            }
            Some(_) => Err(self.err("expected a word, a phrase, NOT or '('")),
            None => Err(self.err("unexpected end of query")),
        }
    }
}

impl Query {
    /// Parses a query; the error names the character where it went wrong.
    pub fn parse(source: &str) -> Result<Query, QueryError> {
        let toks = lex(source)?;
        if toks.is_empty() {
            return Err(QueryError {
                message: "empty query".into(),
                position: 0,
            });
        }
        let mut p = Parser {
            toks,
            at: 0,
            end: source.len(),
            depth: 0,
        };
        let expr = p.or()?;
        if p.at != p.toks.len() {
            return Err(p.err("unexpected token"));
        }
        Ok(Query {
            source: source.to_string(),
            expr,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }

    /// Whether the text (headline and body together) matches.
    pub fn matches(&self, text: &str) -> bool {
        let ws = words(text);
        let set: HashSet<&str> = ws.iter().map(String::as_str).collect();
        eval(&self.expr, &ws, &set)
    }
}

fn eval(e: &Expr, ws: &[String], set: &HashSet<&str>) -> bool {
    match e {
        Expr::Not(inner) => !eval(inner, ws, set),
        Expr::And(parts) => parts.iter().all(|p| eval(p, ws, set)),
        Expr::Or(parts) => parts.iter().any(|p| eval(p, ws, set)),
        Expr::Phrase { words, prefix } => {
            if words.len() == 1 && !prefix {
                return set.contains(words[0].as_str());
            }
            let n = words.len();
            ws.windows(n).any(|win| {
                win.iter().zip(words).enumerate().all(|(i, (have, want))| {
                    if *prefix && i == n - 1 {
                        have.starts_with(want.as_str())
                    } else {
                        have == want
                    }
                })
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_engines_syntax_is_refused_not_misread() {
        for (q, says) in [
            ("chechnya -football", "write NOT football"),
            ("+gay chechnya", "write gay"),
            ("gay^2 chechnya", "no weights"),
            ("NEAR(gay chechnya)", "NEAR(...)"),
        ] {
            let e = Query::parse(q).unwrap_err();
            assert!(e.message.contains(says), "{q}: {e}");
        }
        // What looks alike but is plain words still reads as words.
        for q in ["LGBT-rights", "near chechnya", "NEAR chechnya"] {
            assert!(Query::parse(q).is_ok(), "{q}");
        }
    }

    const SHIPPED: &str = r#"(chechnya OR chechen*) AND (gay OR lgbt* OR "sexual orientation")"#;

    #[test]
    fn shipped_query_matches_on_topic_text() {
        let q = Query::parse(SHIPPED).unwrap();
        assert!(q.matches("Chechen authorities detained LGBTI people"));
        assert!(q.matches("Persecution based on Sexual  Orientation in CHECHNYA"));
        assert!(!q.matches("Chechnya elects a new mayor"));
        assert!(!q.matches("Gay rights in Ireland"));
    }

    #[test]
    fn matching_ignores_case_and_accents() {
        let q = Query::parse("čečnja").unwrap();
        assert!(q.matches("News from CECNJA today"));
        assert!(Query::parse("cecnja").unwrap().matches("Čečnja"));
    }

    #[test]
    fn not_binds_tighter_than_and_and_or() {
        let q = Query::parse("gay NOT football OR lgbt").unwrap();
        assert!(q.matches("gay rights"));
        assert!(!q.matches("gay football"));
        assert!(q.matches("lgbt football"));
    }

    #[test]
    fn adjacent_terms_mean_and() {
        let q = Query::parse("gay chechnya").unwrap();
        assert!(q.matches("Chechnya gay purge"));
        assert!(!q.matches("Chechnya purge"));
    }

    #[test]
    fn phrases_match_in_order_only() {
        let q = Query::parse("\"human rights\"").unwrap();
        assert!(q.matches("Human-rights groups"));
        assert!(!q.matches("rights of humans"));
    }

    #[test]
    fn malformed_queries_say_where() {
        assert_eq!(Query::parse("(gay OR").unwrap_err().position, 7);
        assert_eq!(
            Query::parse("\"open").unwrap_err().message,
            "unclosed quote"
        );
        assert!(Query::parse("gay AND").is_err());
        assert!(Query::parse("").is_err());
        assert!(Query::parse("gay )").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}gay{}", "(".repeat(20_000), ")".repeat(20_000));
        let e = Query::parse(&deep).unwrap_err();
        assert_eq!(e.position, MAX_NESTING);
        assert!(Query::parse(&format!("{}gay", "NOT ".repeat(20_000))).is_err());
        let fine = format!("{}gay{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert!(Query::parse(&fine).unwrap().matches("gay"));
    }
}
