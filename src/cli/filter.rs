//! The article filters `search` and `export` share (--feed, --since,
//! --until, --story): reading them from the command line and checking them
//! against the config and the database. Holds no SQL.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::exit::{unknown_name, UsageError};
use super::open::Reader;
use crate::config::Config;
use crate::store::ArticleFilter;

#[derive(clap::Args, Debug, Default)]
pub struct FilterArgs {
    /// Only articles from this feed (its name in the config).
    #[arg(long, value_name = "NAME")]
    pub feed: Option<String>,
    /// Only articles published (else fetched) on or after WHEN: a day
    /// (2026-11-01), a time (2026-11-01T12:00:00Z) or an age (7d, 12h).
    /// The publication time: after a backfill, --stored-since finds what
    /// came in.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only articles published (else fetched) on or before WHEN (a day
    /// counts whole).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only articles of this story (the id of its first article, as in
    /// the `story` field).
    #[arg(long, value_name = "ID")]
    pub story: Option<u64>,
    /// Only articles stored on or after WHEN, whatever their publication
    /// date (what the last runs brought in, a backfill's old articles
    /// included): a day, a time or an age.
    #[arg(long, value_name = "WHEN")]
    pub stored_since: Option<String>,
}

/// Which end of a range a time bounds: a day given for `--until` counts
/// whole, so the bound is the start of the next day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    Since,
    Until,
}

/// Reads a time for --since or --until, relative to `now`. Returns the
/// bound to compare with: inclusive for `Since`, exclusive for `Until`.
pub fn parse_when(s: &str, end: End, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    let t = if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = match end {
            End::Since => day,
            End::Until => day.succ_opt().ok_or("the day is out of range")?,
        };
        return Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else if let Ok(age) = crate::config::parse_duration(s) {
        let age = Duration::from_std(age).map_err(|_| "the age is too large".to_string())?;
        now.checked_sub_signed(age).ok_or("the age is too large")?
    } else {
        return Err(format!(
            "'{s}' is not a day (2026-11-01), a time (2026-11-01T12:00:00Z) or an age (7d)"
        ));
    };
    Ok(match end {
        End::Since => t,
        // Times are stored to the second: "until 12:00:00" includes it.
        End::Until => t + Duration::seconds(1),
    })
}

impl FilterArgs {
    /// The filter, checked: the feed must be one the config or the database
    /// knows and the story one that exists, else a usage error names it.
    pub fn resolve(
        &self,
        config: &Config,
        store: &mut Reader,
        now: DateTime<Utc>,
    ) -> anyhow::Result<ArticleFilter> {
        let when = |flag: &str, v: &Option<String>, end| -> anyhow::Result<_> {
            v.as_deref()
                .map(|s| parse_when(s, end, now))
                .transpose()
                .map_err(|e| UsageError(format!("--{flag}: {e}")).into())
        };
        let since = when("since", &self.since, End::Since)?;
        let before = when("until", &self.until, End::Until)?;
        let stored_since = when("stored-since", &self.stored_since, End::Since)?;
        if let Some(name) = &self.feed {
            let mut known = store.feed_names()?;
            known.extend(config.feeds.iter().map(|f| f.name.clone()));
            known.sort();
            known.dedup();
            if !known.contains(name) {
                let e = unknown_name("feed", name, &known);
                return Err(UsageError(format!("--feed: {e}")).into());
            }
        }
        if let Some(story) = self.story {
            if !store.story_exists(story)? {
                return Err(UsageError(format!("--story: no story {story} in the corpus")).into());
            }
        }
        Ok(ArticleFilter {
            feed: self.feed.clone(),
            since,
            before,
            story: self.story,
            stored_since,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn days_times_and_ages() {
        let now = at("2026-11-22T10:00:00Z");
        assert_eq!(
            parse_when("2026-11-01", End::Since, now),
            Ok(at("2026-11-01T00:00:00Z"))
        );
        assert_eq!(
            parse_when("2026-11-01", End::Until, now),
            Ok(at("2026-11-02T00:00:00Z")),
            "a day counts whole"
        );
        assert_eq!(
            parse_when("2026-11-01T12:00:00+01:00", End::Since, now),
            Ok(at("2026-11-01T11:00:00Z"))
        );
        assert_eq!(
            parse_when("2026-11-01T12:00:00Z", End::Until, now),
            Ok(at("2026-11-01T12:00:01Z"))
        );
        assert_eq!(
            parse_when("7d", End::Since, now),
            Ok(at("2026-11-15T10:00:00Z"))
        );
        let e = parse_when("last week", End::Since, now).unwrap_err();
        assert!(e.contains("'last week' is not a day"), "{e}");
        assert!(parse_when("2026-13-01", End::Since, now).is_err());
    }
}
