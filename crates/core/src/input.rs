//! Turning input bytes (PEM bundles, DER files) into certificates and keys.
//!
//! Every block is decoded on its own, so one damaged certificate in a bundle of
//! thousands costs that certificate, not the bundle. The PEM scanner is ours
//! rather than rustls-pki-types' because that one skips unknown labels silently
//! and stops at the first damaged block; here both must be reported by position.

use std::ops::Range;
use std::sync::{Arc, Mutex, mpsc};

use rayon::prelude::*;

use crate::cert::{Certificate, PublicKey};
use crate::error::Error;

/// What an input held, in input order, and one error per block that failed.
#[derive(Debug, Default)]
pub struct Decoded {
    /// The certificates, in input order.
    pub certificates: Vec<Certificate>,
    /// Bare public keys and the keys of certificate requests, in input order.
    pub public_keys: Vec<PublicKey>,
    /// Every item found, in input order, pointing into the two lists above.
    pub order: Vec<Found>,
    /// Blocks that could not be used, in input order.
    pub errors: Vec<Error>,
    /// Blocks that were deliberately skipped (private keys, CRLs…), with why.
    pub skipped: Vec<String>,
}

/// One item of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    /// Its position in the input (PEM block number or DER element), from 1.
    pub position: usize,
    /// What it is.
    pub item: Item,
}

/// An index into [`Decoded::certificates`] or [`Decoded::public_keys`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// `certificates[i]`.
    Certificate(usize),
    /// `public_keys[i]`.
    PublicKey(usize),
}

impl Decoded {
    fn push_certificate(&mut self, position: usize, cert: Certificate) {
        self.order.push(Found {
            position,
            item: Item::Certificate(self.certificates.len()),
        });
        self.certificates.push(cert);
    }

    fn push_key(&mut self, position: usize, key: PublicKey) {
        self.order.push(Found {
            position,
            item: Item::PublicKey(self.public_keys.len()),
        });
        self.public_keys.push(key);
    }

    fn is_empty(&self) -> bool {
        self.order.is_empty() && self.errors.is_empty() && self.skipped.is_empty()
    }
}

/// Decodes PEM (any number of blocks) or DER (one or more concatenated
/// certificates, an SPKI, or a CSR).
///
/// Fails as a whole only when nothing at all could be recognised.
pub fn decode(bytes: &[u8]) -> Result<Decoded, Error> {
    let mut decoder = Decoder::new();
    decoder.feed(bytes);
    decoder.finish()
}

/// Decodes input fed in pieces, so that a large PEM bundle never sits in
/// memory whole: complete blocks are decoded as they arrive, on every core.
#[derive(Default)]
pub struct Decoder {
    /// Bytes not decoded yet: everything until a PEM BEGIN line is seen (the
    /// input may be DER), then only the unfinished tail.
    pending: Vec<u8>,
    pem: bool,
    /// The input's first byte that is not whitespace, once seen.
    first_byte: Option<u8>,
    blocks_seen: usize,
    /// Batches of blocks being decoded on the thread pool, in input order.
    batches: Vec<mpsc::Receiver<Vec<(usize, Outcome)>>>,
    /// Text buffers that finished batches hand back, so that reading a large
    /// bundle reuses a few buffers instead of touching fresh memory.
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
}

const BEGIN: &[u8] = b"-----BEGIN ";

/// Every DER certificate, key and request starts with a SEQUENCE.
const DER_SEQUENCE: u8 = 0x30;

impl Decoder {
    /// A decoder that has seen nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next piece of input.
    pub fn feed(&mut self, chunk: &[u8]) {
        let from = self.pending.len();
        self.pending.extend_from_slice(chunk);
        self.absorb(from);
    }

    /// Reads `reader` to its end, in pieces, straight into the decoder's
    /// buffer (no copy through a buffer of the caller's).
    pub fn read_from(&mut self, reader: &mut dyn std::io::Read) -> std::io::Result<()> {
        const PIECE: usize = 1 << 20;
        loop {
            let from = self.pending.len();
            self.pending.resize(from + PIECE, 0);
            let read = reader.read(&mut self.pending[from..]);
            self.pending.truncate(from + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => return Ok(()),
                Ok(_) => self.absorb(from),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes what was appended to `pending` from offset `from` on.
    fn absorb(&mut self, from: usize) {
        if self.first_byte.is_none() {
            self.first_byte = self.pending[from..]
                .iter()
                .copied()
                .find(|b| !b.is_ascii_whitespace());
        }
        if !self.pem {
            let Some(start) = find(&self.pending, BEGIN) else {
                // Text that is not DER need only be kept until a BEGIN line
                // shows up: keep just enough for one split across pieces.
                if self.first_byte.is_some_and(|b| b != DER_SEQUENCE) {
                    let keep = self.pending.len().min(BEGIN.len() - 1);
                    self.pending.drain(..self.pending.len() - keep);
                }
                return;
            };
            self.pem = true;
            self.pending.drain(..start);
        }
        self.dispatch(false);
    }

    /// Ends the input: an unfinished PEM block is an error, and input that was
    /// never PEM is read as DER.
    pub fn finish(mut self) -> Result<Decoded, Error> {
        if !self.pem {
            return match self.first_byte {
                None => Err(Error::EmptyInput),
                Some(DER_SEQUENCE) => decode_der(&self.pending),
                Some(_) => Err(Error::NoCertificates),
            };
        }
        self.dispatch(true);
        let batches: Vec<_> = self.batches.iter().map(wait_for).collect();
        // Sized once: growing by doubling would touch fresh memory twice.
        let total = batches.iter().map(Vec::len).sum();
        let mut out = Decoded {
            order: Vec::with_capacity(total),
            certificates: Vec::with_capacity(total),
            ..Decoded::default()
        };
        for outcomes in batches {
            for (position, outcome) in outcomes {
                match outcome {
                    Outcome::Certificate(cert) => out.push_certificate(position, cert),
                    Outcome::Key(key) => out.push_key(position, key),
                    Outcome::Bad(e) => out.errors.push(e),
                    Outcome::Skipped(why) => out.skipped.push(why),
                }
            }
        }
        if out.is_empty() {
            return Ok(Decoded {
                errors: vec![Error::NoCertificates],
                ..out
            });
        }
        Ok(out)
    }

    /// Hands the complete blocks of `pending` to the thread pool, and keeps
    /// the unfinished tail. Reading the next piece overlaps their decoding.
    fn dispatch(&mut self, last: bool) {
        let (blocks, consumed) = scan_pem(&self.pending, self.blocks_seen, last);
        if blocks.is_empty() {
            self.pending.drain(..consumed);
            return;
        }
        self.blocks_seen += blocks.len();
        let base = self.pending.as_ptr() as usize;
        let offset = |part: &[u8]| {
            let start = part.as_ptr() as usize - base;
            start..start + part.len()
        };
        let spans: Vec<Span> = blocks
            .into_iter()
            .map(|block| match block {
                Block::Found { index, label, body } => Span::Found {
                    index,
                    label: offset(label.as_bytes()),
                    body: offset(body),
                },
                Block::Bad { index, error } => Span::Bad { index, error },
            })
            .collect();
        // The batch takes the text; pending continues with the tail, in a
        // buffer handed back by an earlier batch when there is one.
        let mut next = self
            .spare
            .lock()
            .map(|mut spare| spare.pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        next.clear();
        next.extend_from_slice(&self.pending[consumed..]);
        let text = std::mem::replace(&mut self.pending, next);
        let (done, batch) = mpsc::channel();
        let spare = Arc::clone(&self.spare);
        rayon::spawn(move || {
            // The blocks are independent, so they are decoded on every core.
            let outcomes: Vec<(usize, Outcome)> = spans
                .into_par_iter()
                .map_init(Vec::new, |scratch, span| {
                    decode_block(span.block(&text), scratch)
                })
                .collect();
            if let Ok(mut spare) = spare.lock() {
                spare.push(text);
            }
            let _ = done.send(outcomes);
        });
        self.batches.push(batch);
    }
}

/// A batch's outcomes. On a thread-pool thread, waiting means helping: a
/// blocked worker could otherwise starve the batch it waits for.
fn wait_for(batch: &mpsc::Receiver<Vec<(usize, Outcome)>>) -> Vec<(usize, Outcome)> {
    loop {
        match batch.try_recv() {
            Ok(outcomes) => return outcomes,
            Err(mpsc::TryRecvError::Empty) => {
                if rayon::yield_now().is_none() {
                    // Not a pool thread: blocking is safe.
                    // A batch that panicked has dropped its sender: a bug, not input.
                    return batch.recv().expect("a decoding batch always reports");
                }
            }
            Err(mpsc::TryRecvError::Disconnected) => {
                panic!("a decoding batch ended without reporting")
            }
        }
    }
}

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("pending", &self.pending.len())
            .field("blocks_seen", &self.blocks_seen)
            .field("batches", &self.batches.len())
            .finish()
    }
}

/// A block of a batch, as ranges into the batch's text.
enum Span {
    Found {
        index: usize,
        label: Range<usize>,
        body: Range<usize>,
    },
    Bad {
        index: usize,
        error: Error,
    },
}

impl Span {
    fn block(self, text: &[u8]) -> Block<'_> {
        match self {
            Self::Found { index, label, body } => Block::Found {
                index,
                // The scan checked that the label is UTF-8.
                label: std::str::from_utf8(&text[label]).unwrap_or(""),
                body: &text[body],
            },
            Self::Bad { index, error } => Block::Bad { index, error },
        }
    }
}

fn decode_der(bytes: &[u8]) -> Result<Decoded, Error> {
    let mut out = Decoded::default();
    let cert_err = match Certificate::from_der(bytes, 1) {
        Ok(cert) => {
            let mut used = cert.der().len();
            out.push_certificate(1, cert);
            // Some tools write chains as concatenated DER.
            while used < bytes.len() {
                let position = out.order.len() + 1;
                match Certificate::from_der(&bytes[used..], position) {
                    Ok(cert) => {
                        used += cert.der().len();
                        out.push_certificate(position, cert);
                    }
                    Err(e) => {
                        out.errors.push(e);
                        break;
                    }
                }
            }
            return Ok(out);
        }
        Err(e) => e,
    };
    for parse in [PublicKey::from_spki_der, PublicKey::from_csr_der] {
        if let Ok(key) = parse(bytes, 1) {
            out.push_key(1, key);
            return Ok(out);
        }
    }
    // Neither a key nor a request: the certificate parser's reason is the useful one.
    Err(cert_err)
}

/// A PEM block found by the scan, or why the scan couldn't read it.
enum Block<'a> {
    Found {
        index: usize,
        label: &'a str,
        body: &'a [u8],
    },
    Bad {
        index: usize,
        error: Error,
    },
}

/// What one block turned into.
enum Outcome {
    Certificate(Certificate),
    Key(PublicKey),
    Bad(Error),
    Skipped(String),
}

/// Finds the PEM blocks of `text`, numbering them after `seen`. Unless this is
/// the `last` piece, an unfinished block at the end is left for later: the
/// returned offset is where unread text starts.
fn scan_pem(text: &[u8], seen: usize, last: bool) -> (Vec<Block<'_>>, usize) {
    let mut blocks = Vec::new();
    let mut rest = text;
    let offset = |rest: &[u8]| text.len() - rest.len();
    loop {
        let Some(start) = find(rest, BEGIN) else {
            // Keep a tail that could be the start of a BEGIN line.
            let keep = if last {
                0
            } else {
                rest.len().min(BEGIN.len() - 1)
            };
            return (blocks, text.len() - keep);
        };
        let block_start = offset(&rest[start..]);
        let index = seen + blocks.len() + 1;
        let after_begin = &rest[start + BEGIN.len()..];
        let Some(label_end) = find(after_begin, b"-----") else {
            if last {
                blocks.push(Block::Bad {
                    index,
                    error: bad_pem(index, "the BEGIN line is not closed by -----"),
                });
                return (blocks, text.len());
            }
            return (blocks, block_start);
        };
        if after_begin[..label_end].contains(&b'\n') {
            blocks.push(Block::Bad {
                index,
                error: bad_pem(index, "the BEGIN line is not closed by -----"),
            });
            rest = after_begin;
            continue;
        }
        let Ok(label) = std::str::from_utf8(&after_begin[..label_end]) else {
            blocks.push(Block::Bad {
                index,
                error: bad_pem(index, "the BEGIN label is not text"),
            });
            rest = &after_begin[label_end..];
            continue;
        };
        let body_start = &after_begin[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        // Base64 has no '-': the next "-----" must open the END line.
        let Some(dash) = find(body_start, b"-----") else {
            if last {
                let reason = format!("no {end_marker} line (truncated?)");
                blocks.push(Block::Bad {
                    index,
                    error: bad_pem(index, &reason),
                });
                return (blocks, text.len());
            }
            return (blocks, block_start);
        };
        let tail = &body_start[dash..];
        if !last && tail.len() < end_marker.len() {
            // The END line may still be arriving.
            return (blocks, block_start);
        }
        if !tail.starts_with(end_marker.as_bytes()) {
            let reason = if tail.starts_with(BEGIN) {
                format!("a new block starts before {end_marker}")
            } else {
                format!(
                    "expected {end_marker}, found {:?}",
                    String::from_utf8_lossy(&tail[..tail.len().min(40)])
                )
            };
            blocks.push(Block::Bad {
                index,
                error: bad_pem(index, &reason),
            });
            // Resume at the marker so that a following block isn't lost.
            rest = if tail.starts_with(BEGIN) {
                tail
            } else {
                &tail[5..]
            };
            continue;
        }
        let body = &body_start[..dash];
        rest = &tail[end_marker.len()..];
        blocks.push(Block::Found { index, label, body });
    }
}

/// `scratch` is a reusable buffer for one block's base64 text.
fn decode_block(block: Block<'_>, scratch: &mut Vec<u8>) -> (usize, Outcome) {
    let (index, label, body) = match block {
        Block::Found { index, label, body } => (index, label, body),
        Block::Bad { index, error } => return (index, Outcome::Bad(error)),
    };
    let der = match decode_base64_body(body, scratch) {
        Ok(der) => der,
        Err(reason) => return (index, Outcome::Bad(bad_pem(index, &reason))),
    };
    let outcome = match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
            Certificate::from_vec(der, index).map(Outcome::Certificate)
        }
        "PUBLIC KEY" => PublicKey::from_spki_der(&der, index).map(Outcome::Key),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            PublicKey::from_csr_der(&der, index).map(Outcome::Key)
        }
        l if l.contains("PRIVATE KEY") => Ok(Outcome::Skipped(format!(
            "block #{index} is a private key ({l}): skipped; pinwarden reads public keys only"
        ))),
        l => Ok(Outcome::Skipped(format!(
            "block #{index} is a {l}, not a certificate, public key or certificate request: skipped"
        ))),
    };
    (index, outcome.unwrap_or_else(Outcome::Bad))
}

/// Decodes a PEM body, using `clean` as scratch space for the base64 text
/// without its line breaks.
fn decode_base64_body(body: &[u8], clean: &mut Vec<u8>) -> Result<Vec<u8>, String> {
    // RFC 1421 encapsulated headers (Proc-Type, DEK-Info) mean an encrypted body.
    if memchr::memchr(b':', body).is_some() {
        return Err("the block has headers (an encrypted or legacy PEM?)".to_owned());
    }
    clean.clear();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len())) {
        clean.extend_from_slice(body[start..end].trim_ascii());
        start = end + 1;
    }
    if clean.is_empty() {
        return Err("the block is empty".to_owned());
    }
    base64_simd::STANDARD
        .decode_to_vec(&*clean)
        .map_err(|_| "bad base64 (a character outside the alphabet, or bad padding)".to_owned())
}

fn bad_pem(index: usize, reason: &str) -> Error {
    Error::BadPem {
        index,
        reason: reason.to_owned(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}
