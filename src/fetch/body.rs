//! A body's Content-Encoding undone while it streams, under the size cap.
//! Must not know HTTP or the client; see ARCHITECTURE.md, "Codemap"
//! (`fetch`).

/// A body's Content-Encoding, undone while it streams into a buffer that
/// refuses to grow past the size cap, so the cap holds inside the decoder
/// (841 bytes of brotli decode to a gibibyte: a check between writes would
/// come too late). Decoded here rather than by the client because the
/// client drops the Content-Encoding and Content-Length headers when it
/// decodes, and the archive must record them as received. An encoding not
/// known here leaves the body as it came.
pub(super) enum Decoding {
    Identity(Capped),
    Gzip(flate2::write::MultiGzDecoder<Capped>),
    Deflate(flate2::write::ZlibDecoder<Capped>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Capped>>),
}

/// Why a body could not be decoded.
#[derive(Debug)]
pub(super) enum DecodeFailure {
    /// It decodes to more than the cap.
    TooLarge,
    /// It is not what its Content-Encoding says.
    Bad(std::io::Error),
}

/// The decoded body; a write that would take it past `limit` fails and
/// nothing more is kept.
pub(super) struct Capped {
    pub(super) buf: Vec<u8>,
    limit: usize,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.over || self.buf.len().saturating_add(bytes.len()) > self.limit {
            self.over = true;
            return Err(std::io::Error::other("decoded body over the size cap"));
        }
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Decoding {
    pub(super) fn new(content_encoding: Option<&str>, limit: u64) -> Decoding {
        let out = Capped {
            buf: Vec::new(),
            limit: usize::try_from(limit).unwrap_or(usize::MAX),
            over: false,
        };
        let enc = content_encoding.unwrap_or("").trim().to_ascii_lowercase();
        match enc.as_str() {
            "gzip" | "x-gzip" => Decoding::Gzip(flate2::write::MultiGzDecoder::new(out)),
            "deflate" => Decoding::Deflate(flate2::write::ZlibDecoder::new(out)),
            "br" => Decoding::Brotli(Box::new(brotli_decompressor::DecompressorWriter::new(
                out, 4096,
            ))),
            _ => Decoding::Identity(out),
        }
    }

    pub(super) fn out(&self) -> &Capped {
        match self {
            Decoding::Identity(v) => v,
            Decoding::Gzip(d) => d.get_ref(),
            Decoding::Deflate(d) => d.get_ref(),
            Decoding::Brotli(d) => d.get_ref(),
        }
    }

    /// Tells the cap from a broken stream: the decoders report the
    /// buffer's refusal as an I/O error like any other.
    fn failure(&self, e: std::io::Error) -> DecodeFailure {
        if self.out().over {
            DecodeFailure::TooLarge
        } else {
            DecodeFailure::Bad(e)
        }
    }

    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), DecodeFailure> {
        use std::io::Write;
        let r = match self {
            Decoding::Identity(v) => v.write_all(bytes),
            Decoding::Gzip(d) => d.write_all(bytes),
            Decoding::Deflate(d) => d.write_all(bytes),
            Decoding::Brotli(d) => d.write_all(bytes),
        };
        r.map_err(|e| self.failure(e))
    }

    pub(super) fn finish(mut self) -> Result<Vec<u8>, DecodeFailure> {
        let r = match &mut self {
            Decoding::Identity(_) => Ok(()),
            Decoding::Gzip(d) => d.try_finish(),
            Decoding::Deflate(d) => d.try_finish(),
            Decoding::Brotli(d) => d.close(),
        };
        r.map_err(|e| self.failure(e))?;
        let out = match self {
            Decoding::Identity(v) => v,
            Decoding::Gzip(d) => d.finish().map_err(DecodeFailure::Bad)?,
            Decoding::Deflate(d) => d.finish().map_err(DecodeFailure::Bad)?,
            Decoding::Brotli(d) => d.into_inner().map_err(|_| {
                DecodeFailure::Bad(std::io::Error::other("brotli stream left unfinished"))
            })?,
        };
        Ok(out.buf)
    }
}
