//! Dates in text, both readings in one place: [`parse_date`], lenient, for
//! feeds (RFC 822 and the ways feeds break it, RFC 3339 and ISO 8601
//! variants, Unix timestamps, a few non-English month names), and
//! [`parse_page_date`], strict, for the metadata of article pages (`extract`).
//!
//! Pure: text in, instant out. Never reads the clock: a date that cannot be
//! read is `None`, and the pipeline substitutes the first-seen time.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Reads a date as feeds write them; `None` when it cannot be read sensibly.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 128 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_all_digits(s);
    }
    if s.as_bytes()[0].is_ascii_digit() && s.len() >= 8 && s.as_bytes().get(4) == Some(&b'-') {
        if let Some(d) = parse_iso(s) {
            return Some(d);
        }
    }
    parse_loose(s)
}

/// `1709632800` (Unix seconds), `1709632800000` (milliseconds), `20240305`.
fn parse_all_digits(s: &str) -> Option<DateTime<Utc>> {
    match s.len() {
        8 => {
            let y = s[0..4].parse().ok()?;
            let m = s[4..6].parse().ok()?;
            let d = s[6..8].parse().ok()?;
            let date = NaiveDate::from_ymd_opt(y, m, d)?;
            Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)))
        }
        9..=11 => DateTime::from_timestamp(s.parse().ok()?, 0),
        12..=14 => DateTime::from_timestamp_millis(s.parse().ok()?),
        _ => None,
    }
}

/// ISO 8601 as feeds write it: `2024-03-05`, `2024-03-05 10:00`,
/// `2024-03-05T10:00:00.123+0530`, `2024-03-05T10:00:00 UTC`, no zone = UTC.
fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let y = num(0..4)? as i32;
    let mo = num(5..7)?;
    let d = num(8..10)?;
    let date = NaiveDate::from_ymd_opt(y, mo, d)?;
    let rest = s.get(10..)?;
    if rest.trim().is_empty() {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    }
    if !(b[10] == b'T' || b[10] == b't' || b[10] == b' ') {
        return None;
    }
    let rest = rest[1..].trim_start();
    // Time: HH:MM[:SS[.frac]]
    let tb = rest.as_bytes();
    let two = |i: usize| -> Option<u32> {
        let t = rest.get(i..i + 2)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let h = two(0)?;
    if tb.get(2) != Some(&b':') {
        return None;
    }
    let mi = two(3)?;
    let mut i = 5;
    let mut sec = 0;
    let mut nano = 0u32;
    if tb.get(i) == Some(&b':') {
        sec = two(i + 1)?;
        i += 3;
        if matches!(tb.get(i), Some(b'.') | Some(b',')) {
            i += 1;
            let start = i;
            while i < tb.len() && tb[i].is_ascii_digit() {
                i += 1;
            }
            let frac = &rest[start..i];
            let digits: String = frac.chars().take(9).collect();
            if !digits.is_empty() {
                let scale = 10u32.pow(9 - digits.len() as u32);
                nano = digits.parse::<u32>().ok()? * scale;
            }
        }
    }
    let time = NaiveTime::from_hms_nano_opt(h, mi, sec.min(59), nano)?;
    let naive = NaiveDateTime::new(date, time);
    let offset = zone_offset(rest[i..].trim())?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Zone suffix → offset. Empty means UTC (a feed that omits the zone most
/// often means UTC, and any guess is better than dropping the date).
fn zone_offset(z: &str) -> Option<FixedOffset> {
    let z = z.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace());
    if z.is_empty() {
        return FixedOffset::east_opt(0);
    }
    let zb = z.as_bytes();
    if zb[0] == b'+' || zb[0] == b'-' {
        let sign = if zb[0] == b'-' { -1 } else { 1 };
        let digits: String = z[1..].chars().filter(|c| c.is_ascii_digit()).collect();
        let (h, m) = match digits.len() {
            1 | 2 => (digits.parse::<i32>().ok()?, 0),
            3 => (
                digits[0..1].parse::<i32>().ok()?,
                digits[1..3].parse::<i32>().ok()?,
            ),
            4 => (
                digits[0..2].parse::<i32>().ok()?,
                digits[2..4].parse::<i32>().ok()?,
            ),
            _ => return None,
        };
        if h > 23 || m > 59 {
            return None;
        }
        return FixedOffset::east_opt(sign * (h * 3600 + m * 60));
    }
    let hours = match z.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" | "Z UTC" => 0,
        "BST" | "CET" | "MEZ" | "WEST" | "IST" => 1,
        "CEST" | "MESZ" | "EET" | "SAST" => 2,
        "EEST" | "MSK" => 3,
        "EST" => -5,
        "EDT" | "AST" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" | "PDT" => {
            if z.eq_ignore_ascii_case("MDT") {
                -6
            } else {
                -7
            }
        }
        "PST" => -8,
        "AKST" => -9,
        "HST" => -10,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "NZST" => 12,
        _ => {
            // Military single letters and other unknown names: read as UTC
            // rather than lose the date.
            if z.chars().all(|c| c.is_ascii_alphabetic()) && z.len() <= 5 {
                0
            } else {
                return None;
            }
        }
    };
    FixedOffset::east_opt(hours * 3600)
}

/// Month names and abbreviations (English, German, French, Spanish, Italian,
/// Dutch), matched on a lowercase prefix.
fn month(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.').to_lowercase();
    if w.chars().count() < 3 {
        return None;
    }
    const TABLE: &[(&str, u32)] = &[
        ("jan", 1),
        ("gen", 1),
        ("ene", 1),
        ("janv", 1),
        ("feb", 2),
        ("fév", 2),
        ("fev", 2),
        ("mar", 3),
        ("mär", 3),
        ("mrz", 3),
        ("maa", 3),
        ("apr", 4),
        ("avr", 4),
        ("abr", 4),
        ("may", 5),
        ("mai", 5),
        ("mag", 5),
        ("mei", 5),
        ("jun", 6),
        ("juin", 6),
        ("giu", 6),
        ("jul", 7),
        ("juil", 7),
        ("lug", 7),
        ("aug", 8),
        ("aoû", 8),
        ("aou", 8),
        ("ago", 8),
        ("sep", 9),
        ("set", 9),
        ("oct", 10),
        ("okt", 10),
        ("ott", 10),
        ("nov", 11),
        ("dec", 12),
        ("dez", 12),
        ("déc", 12),
        ("dic", 12),
    ];
    // Longest matching prefix wins ("juil" before "jul", "mars" is "mar").
    TABLE
        .iter()
        .filter(|(p, _)| w.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .map(|(_, m)| *m)
        .filter(|_| !is_weekday(&w))
}

fn is_weekday(w: &str) -> bool {
    // "mar" is March in English but Tuesday in French/Spanish ("mar.",
    // "martes", "mardi"); "mer" Wednesday. Only full weekday words are
    // excluded here; "Mar" alone is taken as March.
    matches!(w, "mardi" | "martes" | "martedì" | "martedi")
}

/// Token soup: `Tue, 05 Mar 2024 10:00:00 GMT`, `05 Mar 24 10:00 +0100 (CET)`,
/// `Tuesday, 5 March 2024 9:00:00 +0000`, `March 5, 2024 10:00 AM EST`,
/// `Di, 05 Mär 2024 10:00:00 +0100`.
fn parse_loose(s: &str) -> Option<DateTime<Utc>> {
    let mut day: Option<u32> = None;
    let mut mon: Option<u32> = None;
    let mut year: Option<i32> = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut zone: Option<FixedOffset> = None;
    let mut pm: Option<bool> = None;
    let mut numbers: Vec<&str> = Vec::new();
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c == ',' || c == '(' || c == ')' {
                ' '
            } else {
                c
            }
        })
        .collect();
    for tok in cleaned.split_whitespace() {
        let first = tok.chars().next()?;
        if tok.contains(':') && first.is_ascii_digit() {
            // A time, possibly with an attached zone: 10:00:00+01:00 / 10:00Z
            let split = tok
                .char_indices()
                .skip(1)
                .find(|(_, c)| matches!(c, '+' | '-' | 'Z' | 'z'))
                .map(|(i, _)| i);
            let (t, z) = match split {
                Some(i) => (&tok[..i], Some(&tok[i..])),
                None => (tok, None),
            };
            let parts: Vec<&str> = t.split(':').collect();
            let p = |i: usize| -> Option<u32> { parts.get(i).and_then(|x| x.parse().ok()) };
            let h = p(0)?;
            let m = p(1)?;
            let sec = if parts.len() > 2 {
                parts[2].split('.').next()?.parse().ok()?
            } else {
                0
            };
            time = Some((h, m, sec));
            if let Some(z) = z {
                zone = Some(zone_offset(z)?);
            }
        } else if first == '+' || (first == '-' && tok.len() > 1) {
            zone = Some(zone_offset(tok)?);
        } else if first.is_ascii_digit() {
            let digits = tok.trim_end_matches(|c: char| !c.is_ascii_digit());
            if digits.bytes().all(|b| b.is_ascii_digit()) {
                numbers.push(digits);
            } else {
                return None;
            }
        } else if tok.eq_ignore_ascii_case("am") || tok.eq_ignore_ascii_case("pm") {
            pm = Some(tok.eq_ignore_ascii_case("pm"));
        } else if let Some(m) = if mon.is_none() { month(tok) } else { None } {
            mon = Some(m);
        } else if first.is_alphabetic() {
            // Weekday names (any language) are ignored, as is a wrong one.
            // A zone name comes after the time.
            if time.is_some() {
                if let Some(z) = zone_offset(tok) {
                    zone = Some(z);
                }
            }
        }
    }
    for n in numbers {
        let v: u32 = n.parse().ok()?;
        if n.len() == 4 && year.is_none() {
            year = Some(v as i32);
        } else if day.is_none() && (1..=31).contains(&v) && n.len() <= 2 {
            day = Some(v);
        } else if year.is_none() && n.len() <= 2 {
            // Two-digit years: 70–99 → 1900s, else 2000s (RFC 2822 §4.3).
            year = Some(if v >= 70 {
                1900 + v as i32
            } else {
                2000 + v as i32
            });
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, mon?, day?)?;
    let (mut h, m, sec) = time.unwrap_or((0, 0, 0));
    match pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    let t = NaiveTime::from_hms_opt(h, m, sec.min(59))?;
    let offset = zone.or_else(|| FixedOffset::east_opt(0))?;
    offset
        .from_local_datetime(&NaiveDateTime::new(date, t))
        .single()
        .map(|d| d.with_timezone(&Utc))
}

/// Reads a date as a page's metadata writes it (`article:published_time`,
/// JSON-LD `datePublished`): RFC 3339, ISO without a colon in the offset,
/// without a zone (taken as UTC), RFC 2822, or a bare day in front of
/// anything (`2025-03-04 whatever`).
///
/// Stricter than [`parse_date`] on purpose: no Unix timestamps, no token
/// soup (`March 5, 2024 10:00 AM EST`), no month names in other languages.
/// The two stay apart because what the extractor stores as `published` must
/// not change with the move here; whether pages would gain from the lenient
/// reading has not been measured.
pub fn parse_page_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> String {
        parse_date(s)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn rfc822_and_violations() {
        let want = "2024-03-05T10:00:00+00:00";
        assert_eq!(at("Tue, 05 Mar 2024 10:00:00 GMT"), want);
        assert_eq!(at("Mon, 05 Mar 2024 10:00:00 GMT"), want, "wrong weekday");
        assert_eq!(at("Tue, 05 Mar 24 10:00:00 GMT"), want, "two-digit year");
        assert_eq!(
            at("Tuesday, 05 March 2024 10:00:00 GMT"),
            want,
            "full names"
        );
        assert_eq!(at("Tue, 05 Mar 2024 10:00 GMT"), want, "no seconds");
        assert_eq!(at("Tue, 5 Mar 2024 10:00:00 +0000"), want);
        assert_eq!(
            at("Tue, 5 Mar 2024 9:00:00 +0000"),
            "2024-03-05T09:00:00+00:00"
        );
        assert_eq!(at("05 Mar 2024 11:00:00 +0100"), want, "no weekday");
        assert_eq!(at("Tue, 05 Mar 2024 11:00:00 +0100 (CET)"), want, "comment");
        assert_eq!(at("Tue, 05 Mar 2024 05:00:00 EST"), want, "named zone");
        assert_eq!(at("Tue, 05 Mar 2024 12:00:00 CEST"), want, "CEST");
        assert_eq!(at("Di, 05 Mär 2024 11:00:00 +0100"), want, "German");
        assert_eq!(at("March 5, 2024 10:00 AM GMT"), want, "US order");
        assert_eq!(at("March 5, 2024 5:00 PM +0700"), want, "PM");
    }

    #[test]
    fn iso_variants() {
        let want = "2024-03-05T10:00:00+00:00";
        assert_eq!(at("2024-03-05T10:00:00Z"), want);
        assert_eq!(at("2024-03-05T11:00:00+01:00"), want);
        assert_eq!(at("2024-03-05T11:00:00+0100"), want, "offset without colon");
        assert_eq!(at("2024-03-05 10:00:00"), want, "space, no zone");
        assert_eq!(at("2024-03-05 10:00"), want, "no seconds");
        assert_eq!(at("2024-03-05T10:00:00"), want, "no zone");
        assert_eq!(at("2024-03-05"), "2024-03-05T00:00:00+00:00");
        assert_eq!(
            at("2024-03-05T15:30:00.123456789+05:30"),
            "2024-03-05T10:00:00.123456789+00:00"
        );
        assert_eq!(at("1709632800"), want, "unix seconds");
        assert_eq!(at("1709632800000"), want, "unix millis");
    }

    #[test]
    fn garbage_is_none_not_a_guess() {
        for s in [
            "",
            "yesterday-ish",
            "soon",
            "2024-13-45",
            "32 Foo 2024",
            "99:99",
            "Tue, 31 Feb 2024 10:00:00 GMT",
        ] {
            assert_eq!(at(s), "none", "{s:?}");
        }
    }
}
