"""Reads a tidings WARC archive with warcio, an independent WARC reader.

Usage: warc_check.py WARC_DIR DATABASE SERVED_JSON

SERVED_JSON maps each page URL to the base64 of the bytes the test server
served for it (decoded). Every record of every file is read with digest
checking on (a wrong WARC-Block-Digest or WARC-Payload-Digest raises);
every stored article whose text came from a page must have its response
record at the offset the database gives, for its URL, with a payload equal
to what was served (a prefix of it when the record says it was truncated)
and a payload digest that this script recomputes; each of those records is
also read on its own from its offset (every record is its own gzip member),
and so is every captured duplicate sighting's. Prints one summary line.
"""

import base64
import hashlib
import json
import os
import sqlite3
import sys

try:
    from warcio.archiveiterator import ArchiveIterator
except ImportError:
    sys.exit("warcio is not installed: run `python3 -m pip install warcio`")


def sha1_b32(data):
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def read_alone(path, offset):
    """The one record at an offset, read by seeking there."""
    with open(path, "rb") as f:
        f.seek(offset)
        rec = next(iter(ArchiveIterator(f, check_digests="raise")))
        return rec.rec_headers.get_header("WARC-Record-ID"), rec.content_stream().read()


def main(warc_dir, database, served_json):
    served = {u: base64.b64decode(b) for u, b in json.load(open(served_json)).items()}
    responses = {}
    counts = {}
    for name in sorted(os.listdir(warc_dir)):
        if not name.endswith(".warc.gz"):
            continue
        with open(os.path.join(warc_dir, name), "rb") as f:
            it = ArchiveIterator(f, check_digests="raise")
            for i, rec in enumerate(it):
                kind = rec.rec_type
                counts[kind] = counts.get(kind, 0) + 1
                if i == 0 and kind != "warcinfo":
                    sys.exit(f"{name}: first record is {kind}, not warcinfo")
                if kind != "response":
                    rec.content_stream().read()
                    continue
                payload = rec.content_stream().read()
                headers = rec.rec_headers
                if rec.http_headers.get_header("Content-Encoding"):
                    sys.exit(f"{name}: a decoded body still says Content-Encoding")
                responses[(name, it.get_record_offset())] = {
                    "uri": headers.get_header("WARC-Target-URI"),
                    "digest": headers.get_header("WARC-Payload-Digest"),
                    "truncated": headers.get_header("WARC-Truncated"),
                    "concurrent": headers.get_header("WARC-Concurrent-To"),
                    "payload": payload,
                }
    db = sqlite3.connect(database)
    rows = db.execute(
        "SELECT a.id, a.method, c.file, c.warc_offset, c.target_uri, c.payload_digest"
        " FROM articles a LEFT JOIN captures c ON c.article = a.id AND c.sighting IS NULL"
        " WHERE a.state = 'stored' ORDER BY a.id"
    ).fetchall()
    checked = truncated = 0
    for article, method, file, offset, uri, digest in rows:
        if method == "feed":
            continue
        if file is None:
            sys.exit(f"article {article}: stored from a page but not captured")
        r = responses.get((file, offset))
        if r is None:
            sys.exit(f"article {article}: no response record at {file} offset {offset}")
        if r["uri"] != uri:
            sys.exit(f"article {article}: record is for {r['uri']}, not {uri}")
        if sha1_b32(r["payload"]) != r["digest"] or r["digest"] != digest:
            sys.exit(f"article {article}: payload digest does not match")
        if not r["concurrent"]:
            sys.exit(f"article {article}: response names no request")
        body = served.get(uri.split("?")[0])
        if body is None:
            sys.exit(f"article {article}: {uri} was not served by the test")
        if r["truncated"]:
            truncated += 1
            if not (body.startswith(r["payload"]) and len(r["payload"]) < len(body)):
                sys.exit(f"article {article}: truncated payload is not a prefix of what was served")
        elif r["payload"] != body:
            sys.exit(f"article {article}: payload differs from what was served")
        _, alone = read_alone(os.path.join(warc_dir, file), offset)
        if alone != r["payload"]:
            sys.exit(f"article {article}: the record read alone at {offset} differs")
        checked += 1
    sightings = db.execute(
        "SELECT c.file, c.warc_offset, c.target_uri, c.payload_digest, c.record_id FROM captures c"
        " WHERE c.sighting IS NOT NULL"
    ).fetchall()
    for file, offset, uri, digest, record_id in sightings:
        r = responses.get((file, offset))
        if r is None or r["uri"] != uri or r["digest"] != digest:
            sys.exit(f"sighting capture {record_id}: no matching response at {file} {offset}")
        if read_alone(os.path.join(warc_dir, file), offset)[0] != record_id:
            sys.exit(f"sighting capture {record_id}: another record at {file} {offset}")
    print(
        f"checked {checked} article responses ({truncated} truncated),"
        f" {len(sightings)} sighting responses;"
        f" records: {counts.get('warcinfo', 0)} warcinfo,"
        f" {counts.get('response', 0)} response, {counts.get('request', 0)} request"
    )


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
