use super::*;

fn exchange(headers: &[(&str, &str)]) -> Exchange {
    Exchange {
        version: "HTTP/1.1".into(),
        reason: "OK".into(),
        request_headers: vec![("Host".into(), "example.org".into())],
        response_headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect(),
        remote_ip: Some("93.184.216.34".parse().unwrap()),
        at: DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc),
    }
}

fn config(dir: &Path) -> ArchiveConfig {
    ArchiveConfig {
        enabled: true,
        dir: dir.to_path_buf(),
        max_file_bytes: 1 << 20,
        max_record_bytes: 1 << 20,
        capture_duplicates: false,
    }
}

#[test]
fn digest_is_sha1_base32() {
    // The SHA-1 of the empty string, in base32 as WARC tools write it.
    assert_eq!(digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
}

#[test]
fn response_record_keeps_headers_but_states_the_decoded_body() {
    let url = Url::parse("https://example.org/a?x=1").unwrap();
    let ex = exchange(&[
        ("content-type", "text/html"),
        ("content-encoding", "gzip"),
        ("content-length", "17"),
        ("x-custom", "kept"),
    ]);
    let (resp, req) =
        exchange_records(&url, 200, &ex, b"<p>hello</p>", 1000, ("<r>", "<q>", "<i>"));
    let http = HttpResponse::parse(&resp.block).unwrap();
    assert_eq!(http.status, 200);
    assert_eq!(http.body, b"<p>hello</p>");
    assert_eq!(http.header("content-length"), Some("12"));
    assert_eq!(http.header("x-custom"), Some("kept"));
    assert_eq!(http.header("content-encoding"), None);
    assert_eq!(
        resp.field("WARC-Tidings-Original-Content-Encoding"),
        Some("gzip")
    );
    assert_eq!(
        resp.field("WARC-Tidings-Original-Content-Length"),
        Some("17")
    );
    assert_eq!(
        resp.field("WARC-Payload-Digest").unwrap(),
        digest(b"<p>hello</p>")
    );
    assert_eq!(
        resp.field("WARC-Block-Digest").unwrap(),
        digest(&resp.block)
    );
    assert_eq!(resp.field("WARC-Concurrent-To"), Some("<q>"));
    assert_eq!(req.field("WARC-Concurrent-To"), Some("<r>"));
    assert!(req
        .block
        .starts_with(b"GET /a?x=1 HTTP/1.1\r\nHost: example.org\r\n"));
    let back = Record::parse(&resp.render()).unwrap();
    assert_eq!(back, resp);
}

#[test]
fn oversize_bodies_are_cut_and_marked() {
    let url = Url::parse("https://example.org/a").unwrap();
    let body = vec![b'x'; 100];
    let (resp, _) = exchange_records(&url, 200, &exchange(&[]), &body, 10, ("<r>", "<q>", "<i>"));
    assert_eq!(resp.field("WARC-Truncated"), Some("length"));
    assert_eq!(
        resp.field("WARC-Tidings-Original-Content-Length"),
        Some("100")
    );
    assert_eq!(
        HttpResponse::parse(&resp.block).unwrap().body,
        vec![b'x'; 10]
    );
}

#[test]
fn captures_read_back_and_a_torn_tail_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let url = Url::parse("https://example.org/a").unwrap();
    let mut a = Archive::open(&cfg, |_| 0).unwrap();
    assert!(
        list(dir.path()).unwrap().is_empty(),
        "no file before a record"
    );
    let c1 = a.capture(&url, 200, &exchange(&[]), b"first").unwrap();
    let c2 = a.capture(&url, 200, &exchange(&[]), b"second").unwrap();
    let r = read(dir.path(), &c2.location).unwrap();
    assert_eq!(HttpResponse::parse(&r.block).unwrap().body, b"second");
    assert_eq!(r.field("WARC-Record-ID"), Some(c2.record_id.as_str()));
    drop(a);
    // A crash mid-write: half a member at the end.
    let path = dir.path().join(&c1.location.file);
    let whole = fs::metadata(&path).unwrap().len();
    let torn = gzip(
        &Record {
            fields: vec![],
            block: vec![b'z'; 5000],
        }
        .render(),
    );
    let mut f = OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(&torn[..torn.len() / 2]).unwrap();
    drop(f);
    let mut a = Archive::open(&cfg, |_| c1.request.offset + c1.request.length).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), whole);
    let c3 = a.capture(&url, 200, &exchange(&[]), b"third").unwrap();
    assert_eq!(
        c3.location.file, c1.location.file,
        "appends to the repaired file"
    );
    let all = records(dir.path(), &c1.location.file).unwrap();
    let types: Vec<_> = all
        .iter()
        .map(|(_, r)| r.field("WARC-Type").unwrap().to_string())
        .collect();
    assert_eq!(
        types,
        ["warcinfo", "response", "request", "response", "request", "response", "request"]
    );
    assert_eq!(all[5].0, c3.location);
    let info = all[0].1.field("WARC-Record-ID").unwrap();
    assert!(all
        .iter()
        .skip(1)
        .all(|(_, r)| r.field("WARC-Warcinfo-ID") == Some(info)));
}

#[test]
fn files_rotate_at_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.max_file_bytes = 600;
    let url = Url::parse("https://example.org/a").unwrap();
    let mut a = Archive::open(&cfg, |_| 0).unwrap();
    let mut files = Vec::new();
    for i in 0..4 {
        let c = a
            .capture(&url, 200, &exchange(&[]), format!("body {i}").as_bytes())
            .unwrap();
        files.push(c.location.file);
    }
    files.dedup();
    assert!(files.len() >= 2, "{files:?}");
    assert_eq!(list(dir.path()).unwrap(), files);
    for f in &files {
        let recs = records(dir.path(), f).unwrap();
        let info = recs[0].1.field("WARC-Record-ID").unwrap();
        assert!(recs
            .iter()
            .skip(1)
            .all(|(_, r)| r.field("WARC-Warcinfo-ID") == Some(info)));
    }
    assert!(serial_of(&files[0]).unwrap() < serial_of(&files[1]).unwrap());
}
