//! The evidence archive: every stored article's page kept as a WARC 1.1
//! response/request record pair, in rotating `.warc.gz` files.
//!
//! The only module that writes WARC files. Building a record is a pure
//! function over plain values (the exchange `fetch` saw, the time, the
//! record ids); [`Archive`] appends records and fsyncs them before it
//! returns their [`Capture`], so the caller can commit the row pointing at
//! them afterwards. Each record is its own gzip member, so a record can be
//! read on its own from its offset and length, and a crash can only tear
//! the last member of the last file, which [`Archive::open`] cuts off.
//! Must not touch SQLite, the corpus or the network.
//!
//! What is recorded, honestly: the HTTP client decodes Content-Encoding
//! (gzip, br, deflate) and de-chunks before tidings sees a body, so the
//! response record holds the decoded body. Its HTTP header block is the
//! response's headers as received (names lower-cased by the client),
//! except that Content-Encoding and Transfer-Encoding are left out and
//! Content-Length gives the length stored; the values that were received
//! are kept in the WARC header as `WARC-Tidings-Original-Content-Encoding`,
//! `-Transfer-Encoding` and `-Content-Length`. The request record holds
//! the request line and the headers tidings and its client send.

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha1::{Digest, Sha1};
use url::Url;

use crate::config::ArchiveConfig;
use crate::fetch::Exchange;
use crate::model::{record_id, Capture, Location};

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("archive {path} at offset {offset}: {message}")]
    Malformed {
        path: PathBuf,
        offset: u64,
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One WARC record: its named fields (without Content-Length, which is
/// derived from the block) and its block.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub fields: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl Record {
    /// The first field of this name (names compare case-insensitively).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The record as WARC bytes (uncompressed).
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.block.len() + 512);
        out.extend_from_slice(b"WARC/1.1\r\n");
        for (k, v) in &self.fields {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n\r\n", self.block.len()).as_bytes());
        out.extend_from_slice(&self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }

    /// Reads one uncompressed record.
    pub fn parse(bytes: &[u8]) -> Result<Record, String> {
        let end = find(bytes, b"\r\n\r\n").ok_or("no end of the WARC header")?;
        let head = std::str::from_utf8(&bytes[..end]).map_err(|_| "WARC header is not UTF-8")?;
        let mut lines = head.split("\r\n");
        let version = lines.next().unwrap_or("");
        if !matches!(version, "WARC/1.1" | "WARC/1.0") {
            return Err(format!("not a WARC record (starts with {version:?})"));
        }
        let mut fields = Vec::new();
        let mut length = None;
        for line in lines {
            let (k, v) = line
                .split_once(':')
                .ok_or_else(|| format!("bad WARC header line {line:?}"))?;
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("Content-Length") {
                length = Some(v.parse::<usize>().map_err(|_| "bad Content-Length")?);
            } else {
                fields.push((k.to_string(), v.to_string()));
            }
        }
        let length = length.ok_or("no Content-Length")?;
        let start = end + 4;
        let block = bytes
            .get(start..start + length)
            .ok_or("record shorter than its Content-Length")?
            .to_vec();
        Ok(Record { fields, block })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// `sha1:` and the base32 SHA-1 of some bytes: the digest form web-archive
/// tools write and check.
pub fn digest(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

fn warc_date(t: DateTime<Utc>) -> String {
    crate::model::ts(t)
}

/// The warcinfo record that opens each file.
pub fn warcinfo(id: &str, filename: &str, now: DateTime<Utc>) -> Record {
    let block = format!(
        "software: tidings/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ndescription: pages of the articles tidings stored\r\n",
        env!("CARGO_PKG_VERSION")
    );
    Record {
        fields: vec![
            ("WARC-Type".into(), "warcinfo".into()),
            ("WARC-Record-ID".into(), id.into()),
            ("WARC-Date".into(), warc_date(now)),
            ("WARC-Filename".into(), filename.into()),
            ("Content-Type".into(), "application/warc-fields".into()),
        ],
        block: block.into_bytes(),
    }
}

/// Response headers a decoded, de-chunked body no longer matches.
const REWRITTEN: [&str; 3] = ["content-encoding", "transfer-encoding", "content-length"];

/// The response record and the request record of one exchange. `ids` are
/// (response, request, warcinfo). The body is cut at `max_body` bytes.
pub fn exchange_records(
    url: &Url,
    status: u16,
    exchange: &Exchange,
    body: &[u8],
    max_body: u64,
    ids: (&str, &str, &str),
) -> (Record, Record) {
    let (response_id, request_id, warcinfo_id) = ids;
    let truncated = body.len() as u64 > max_body;
    let kept = &body[..body.len().min(max_body as usize)];
    let mut http = format!(
        "{} {} {}\r\n",
        http_version(&exchange.version),
        status,
        exchange.reason
    )
    .into_bytes();
    let mut originals = Vec::new();
    for (name, value) in &exchange.response_headers {
        if REWRITTEN.iter().any(|r| name.eq_ignore_ascii_case(r)) {
            let original = String::from_utf8_lossy(value).into_owned();
            let unchanged = name.eq_ignore_ascii_case("content-length")
                && original.trim() == kept.len().to_string();
            if !unchanged {
                originals.push((canonical_name(name), original));
            }
            continue;
        }
        http.extend_from_slice(name.as_bytes());
        http.extend_from_slice(b": ");
        http.extend_from_slice(value);
        http.extend_from_slice(b"\r\n");
    }
    if truncated
        && !originals
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"))
    {
        originals.push(("Content-Length".into(), body.len().to_string()));
    }
    http.extend_from_slice(format!("content-length: {}\r\n\r\n", kept.len()).as_bytes());
    http.extend_from_slice(kept);
    let date = warc_date(exchange.at);
    let mut fields = vec![
        ("WARC-Type".to_string(), "response".to_string()),
        ("WARC-Record-ID".into(), response_id.into()),
        ("WARC-Date".into(), date.clone()),
        ("WARC-Target-URI".into(), url.to_string()),
        ("WARC-Warcinfo-ID".into(), warcinfo_id.into()),
        ("WARC-Concurrent-To".into(), request_id.into()),
    ];
    if let Some(ip) = exchange.remote_ip {
        fields.push(("WARC-IP-Address".into(), ip.to_string()));
    }
    fields.push((
        "Content-Type".into(),
        "application/http;msgtype=response".into(),
    ));
    fields.push(("WARC-Block-Digest".into(), digest(&http)));
    fields.push(("WARC-Payload-Digest".into(), digest(kept)));
    if truncated {
        fields.push(("WARC-Truncated".into(), "length".into()));
    }
    for (name, value) in originals {
        fields.push((format!("WARC-Tidings-Original-{name}"), value));
    }
    let response = Record {
        fields,
        block: http,
    };

    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut req = format!("GET {path} {}\r\n", http_version(&exchange.version));
    for (k, v) in &exchange.request_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let req = req.into_bytes();
    let mut fields = vec![
        ("WARC-Type".to_string(), "request".to_string()),
        ("WARC-Record-ID".into(), request_id.into()),
        ("WARC-Date".into(), date),
        ("WARC-Target-URI".into(), url.to_string()),
        ("WARC-Warcinfo-ID".into(), warcinfo_id.into()),
        ("WARC-Concurrent-To".into(), response_id.into()),
    ];
    if let Some(ip) = exchange.remote_ip {
        fields.push(("WARC-IP-Address".into(), ip.to_string()));
    }
    fields.push((
        "Content-Type".into(),
        "application/http;msgtype=request".into(),
    ));
    fields.push(("WARC-Block-Digest".into(), digest(&req)));
    let request = Record { fields, block: req };
    (response, request)
}

/// `HTTP/2.0` as the client names it is written `HTTP/2`, the form HTTP/2
/// itself uses.
fn http_version(v: &str) -> &str {
    match v {
        "HTTP/2.0" => "HTTP/2",
        "HTTP/3.0" => "HTTP/3",
        "" => "HTTP/1.1",
        other => other,
    }
}

/// `content-encoding` → `Content-Encoding`.
fn canonical_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// A parsed HTTP response block.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Reads a response record's block.
    pub fn parse(block: &[u8]) -> Result<HttpResponse, String> {
        let end = find(block, b"\r\n\r\n").ok_or("no end of the HTTP header")?;
        let head = String::from_utf8_lossy(&block[..end]);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Ok(HttpResponse {
            status,
            headers,
            body: block[end + 4..].to_vec(),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// `tidings-YYYYMMDDHHMMSS-NNNNN.warc.gz`: when the file was started and a
/// serial number that keeps growing across files.
pub fn file_name(started: DateTime<Utc>, serial: u64) -> String {
    format!(
        "tidings-{}-{serial:05}.warc.gz",
        started.format("%Y%m%d%H%M%S")
    )
}

/// The serial number of an archive file name.
fn serial_of(name: &str) -> Option<u64> {
    let rest = name.strip_prefix("tidings-")?.strip_suffix(".warc.gz")?;
    let (stamp, serial) = rest.split_once('-')?;
    (stamp.len() == 14 && stamp.bytes().all(|b| b.is_ascii_digit()))
        .then(|| serial.parse().ok())
        .flatten()
}

/// The archive files in a directory, oldest (lowest serial) first.
pub fn list(dir: &Path) -> Result<Vec<String>, ArchiveError> {
    let mut out: Vec<(u64, String)> = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    for entry in entries {
        let name = entry.map_err(io(dir))?.file_name();
        let name = name.to_string_lossy();
        if let Some(serial) = serial_of(&name) {
            out.push((serial, name.into_owned()));
        }
    }
    out.sort();
    Ok(out.into_iter().map(|(_, n)| n).collect())
}

/// Disk use of the archive directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiskUse {
    pub files: u64,
    pub bytes: u64,
}

/// How many archive files there are and how many bytes they take.
pub fn disk_use(dir: &Path) -> Result<DiskUse, ArchiveError> {
    let mut out = DiskUse::default();
    for name in list(dir)? {
        let p = dir.join(&name);
        out.files += 1;
        out.bytes += fs::metadata(&p).map_err(io(&p))?.len();
    }
    Ok(out)
}

/// Reads the record at a location.
pub fn read(dir: &Path, at: &Location) -> Result<Record, ArchiveError> {
    let path = dir.join(&at.file);
    let malformed = |message: String| ArchiveError::Malformed {
        path: path.clone(),
        offset: at.offset,
        message,
    };
    let mut f = File::open(&path).map_err(io(&path))?;
    f.seek(SeekFrom::Start(at.offset)).map_err(io(&path))?;
    let mut member = Vec::new();
    f.take(at.length)
        .read_to_end(&mut member)
        .map_err(io(&path))?;
    if (member.len() as u64) < at.length {
        return Err(malformed("the file ends before the record".into()));
    }
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&member[..])
        .read_to_end(&mut raw)
        .map_err(|e| malformed(format!("not a gzip record: {e}")))?;
    Record::parse(&raw).map_err(malformed)
}

/// Every record of a file, with its location, in order; stops with an
/// error at a member that cannot be read.
pub fn records(dir: &Path, file: &str) -> Result<Vec<(Location, Record)>, ArchiveError> {
    let path = dir.join(file);
    let f = File::open(&path).map_err(io(&path))?;
    let len = f.metadata().map_err(io(&path))?.len();
    let mut r = BufReader::new(f);
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < len {
        let mut raw = Vec::new();
        let read = flate2::bufread::GzDecoder::new(&mut r).read_to_end(&mut raw);
        let end = r.stream_position().map_err(io(&path))?;
        let record = read
            .map_err(|e| e.to_string())
            .and_then(|_| Record::parse(&raw))
            .map_err(|message| ArchiveError::Malformed {
                path: path.clone(),
                offset,
                message,
            })?;
        out.push((
            Location {
                file: file.to_string(),
                offset,
                length: end - offset,
            },
            record,
        ));
        offset = end;
    }
    Ok(out)
}

/// The end of the last whole gzip member at or after `from`, reading on
/// from there (`from` must be a member boundary).
fn last_whole_member_end(path: &Path, from: u64, len: u64) -> Result<u64, ArchiveError> {
    let mut f = File::open(path).map_err(io(path))?;
    f.seek(SeekFrom::Start(from)).map_err(io(path))?;
    let mut r = BufReader::new(f);
    let mut good = from;
    while good < len {
        let whole = std::io::copy(
            &mut flate2::bufread::GzDecoder::new(&mut r),
            &mut std::io::sink(),
        )
        .is_ok();
        let end = r.stream_position().map_err(io(path))?;
        if !whole || end <= good {
            break;
        }
        good = end;
    }
    Ok(good)
}

/// The file being appended to.
struct Current {
    name: String,
    file: File,
    len: u64,
    /// How much of it is known to be on disk: records appended past this
    /// wait for [`Archive::sync`].
    synced: u64,
    warcinfo_id: String,
    /// Where the first record after the warcinfo starts.
    records_from: u64,
}

/// The archive directory and its writer.
pub struct Archive {
    dir: PathBuf,
    max_file_bytes: u64,
    max_record_bytes: u64,
    current: Option<Current>,
    next_serial: u64,
}

impl Archive {
    /// Opens the archive directory (created when the first record is
    /// written). The newest file is appended to while it has room, after
    /// its tail is checked: a member a crash left torn is cut off.
    /// `referenced_end` says how far the store vouches for a file (the end
    /// of the last record a row points at), so only what follows is read.
    pub fn open(
        cfg: &ArchiveConfig,
        referenced_end: impl Fn(&str) -> u64,
    ) -> Result<Archive, ArchiveError> {
        let files = list(&cfg.dir)?;
        let next_serial = files.last().and_then(|n| serial_of(n)).map_or(0, |s| s + 1);
        let mut archive = Archive {
            dir: cfg.dir.clone(),
            max_file_bytes: cfg.max_file_bytes,
            max_record_bytes: cfg.max_record_bytes,
            current: None,
            next_serial,
        };
        if let Some(name) = files.last() {
            let path = cfg.dir.join(name);
            let len = fs::metadata(&path).map_err(io(&path))?.len();
            let from = referenced_end(name);
            let from = if from <= len { from } else { 0 };
            let good = last_whole_member_end(&path, from, len)?;
            if good < len {
                tracing::warn!(
                    file = %path.display(),
                    kept = good,
                    cut = len - good,
                    "archive file ends in a torn record (a crash?): cut back to the last whole one"
                );
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io(&path))?;
                f.set_len(good).map_err(io(&path))?;
                f.sync_all().map_err(io(&path))?;
            }
            archive.current = archive.reopen(name, good)?;
        }
        Ok(archive)
    }

    /// Takes up an existing file for appending, if it starts with a
    /// warcinfo record and has room.
    fn reopen(&self, name: &str, len: u64) -> Result<Option<Current>, ArchiveError> {
        if len == 0 || len >= self.max_file_bytes {
            return Ok(None);
        }
        let path = self.dir.join(name);
        let first = match records_head(&path) {
            Some(r) => r,
            None => return Ok(None),
        };
        let (info, info_len) = first;
        if info.field("WARC-Type") != Some("warcinfo") {
            return Ok(None);
        }
        let Some(id) = info.field("WARC-Record-ID").map(str::to_string) else {
            return Ok(None);
        };
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        Ok(Some(Current {
            name: name.to_string(),
            file,
            len,
            synced: len,
            warcinfo_id: id,
            records_from: info_len,
        }))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts a new file with its warcinfo record. Records still waiting
    /// in the old one are synced first.
    fn start_file(&mut self, now: DateTime<Utc>) -> Result<(), ArchiveError> {
        self.sync()?;
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let name = file_name(now, self.next_serial);
        self.next_serial += 1;
        let path = self.dir.join(&name);
        let id = record_id();
        let info = gzip(&warcinfo(&id, &name, now).render());
        let mut file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        let written = file
            .write_all(&info)
            .and_then(|()| file.sync_all())
            .map_err(io(&path))
            .and_then(|()| {
                File::open(&self.dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io(&self.dir))
            });
        if let Err(e) = written {
            // A full disk fails every article the same way: leave no empty
            // file behind for each.
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        self.current = Some(Current {
            name,
            file,
            len: info.len() as u64,
            synced: info.len() as u64,
            warcinfo_id: id,
            records_from: info.len() as u64,
        });
        Ok(())
    }

    /// Appends the response and request records of one exchange and
    /// fsyncs them; returns where the response record lies. The pipeline
    /// appends a round's records and syncs once ([`Archive::append`],
    /// [`Archive::sync`]); this one-exchange form is for the tests.
    #[cfg(test)]
    pub fn capture(
        &mut self,
        url: &Url,
        status: u16,
        exchange: &Exchange,
        body: &[u8],
    ) -> Result<Capture, ArchiveError> {
        let c = self.append(url, status, exchange, body)?;
        self.sync()?;
        Ok(c)
    }

    /// Makes every record appended so far durable (one fsync for all of
    /// them). Should that fail, the unsynced records are cut off again, so
    /// that no row comes to point at a record that may not be on disk.
    pub fn sync(&mut self) -> Result<(), ArchiveError> {
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        if current.synced == current.len {
            return Ok(());
        }
        let path = self.dir.join(&current.name);
        if let Err(e) = current.file.sync_data() {
            let _ = current.file.set_len(current.synced);
            current.len = current.synced;
            return Err(io(&path)(e));
        }
        current.synced = current.len;
        Ok(())
    }

    /// [`Archive::capture`] without the fsync: the records are written, and
    /// durable once [`Archive::sync`] returns. Several captures then share
    /// one fsync; no row may point at them before it.
    pub fn append(
        &mut self,
        url: &Url,
        status: u16,
        exchange: &Exchange,
        body: &[u8],
    ) -> Result<Capture, ArchiveError> {
        let (response_id, request_id) = (record_id(), record_id());
        let warcinfo_id = match &self.current {
            Some(c) => c.warcinfo_id.clone(),
            None => {
                self.start_file(exchange.at)?;
                self.current
                    .as_ref()
                    .map(|c| c.warcinfo_id.clone())
                    .unwrap_or_default()
            }
        };
        let (mut response, mut request) = exchange_records(
            url,
            status,
            exchange,
            body,
            self.max_record_bytes,
            (&response_id, &request_id, &warcinfo_id),
        );
        let mut response_gz = gzip(&response.render());
        let mut request_gz = gzip(&request.render());
        let full = self.current.as_ref().is_some_and(|c| {
            c.len > c.records_from
                && c.len + (response_gz.len() + request_gz.len()) as u64 > self.max_file_bytes
        });
        if full {
            self.start_file(exchange.at)?;
            // The records name the warcinfo of the file they are in.
            let id = self
                .current
                .as_ref()
                .map(|c| c.warcinfo_id.clone())
                .unwrap_or_default();
            for r in [&mut response, &mut request] {
                for (k, v) in r.fields.iter_mut() {
                    if k == "WARC-Warcinfo-ID" {
                        *v = id.clone();
                    }
                }
            }
            response_gz = gzip(&response.render());
            request_gz = gzip(&request.render());
        }
        let Some(current) = self.current.as_mut() else {
            return Err(ArchiveError::Io {
                path: self.dir.clone(),
                source: std::io::Error::other("no archive file open"),
            });
        };
        let path = self.dir.join(&current.name);
        let mut both = response_gz;
        let response_len = both.len() as u64;
        both.extend_from_slice(&request_gz);
        if let Err(e) = current.file.write_all(&both) {
            // Leave no torn record behind for the next one to follow.
            let _ = current.file.set_len(current.len);
            return Err(io(&path)(e));
        }
        let offset = current.len;
        current.len += both.len() as u64;
        let kept = body.len().min(self.max_record_bytes as usize);
        Ok(Capture {
            location: Location {
                file: current.name.clone(),
                offset,
                length: response_len,
            },
            request: Location {
                file: current.name.clone(),
                offset: offset + response_len,
                length: request_gz.len() as u64,
            },
            record_id: response_id,
            target_uri: url.to_string(),
            captured_at: exchange.at,
            status,
            payload_digest: digest(&body[..kept]),
            payload_length: body.len() as u64,
            truncated: kept < body.len(),
        })
    }
}

/// The first record of a file and the length of its member.
fn records_head(path: &Path) -> Option<(Record, u64)> {
    let f = File::open(path).ok()?;
    let mut r = BufReader::new(f);
    let mut raw = Vec::new();
    flate2::bufread::GzDecoder::new(&mut r)
        .read_to_end(&mut raw)
        .ok()?;
    let end = r.stream_position().ok()?;
    Some((Record::parse(&raw).ok()?, end))
}

#[cfg(test)]
mod tests;
