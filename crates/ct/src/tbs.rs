//! The TBSCertificate hash certspotter reports as TBS_SHA256 (RFC 6962
//! §3.2): the DER TBSCertificate with the poison and SCT-list extensions
//! removed, so a certificate and its precertificate hash the same.

use sha2::{Digest as _, Sha256};

/// 1.3.6.1.4.1.11129.2.4.3, the precertificate poison.
const POISON: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03];
/// 1.3.6.1.4.1.11129.2.4.2, embedded SCTs.
const SCT_LIST: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// One DER element: tag byte, header length, content.
struct Tlv<'a> {
    tag: u8,
    whole: &'a [u8],
    content: &'a [u8],
}

fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |a, &b| (a << 8) | b as usize),
            2 + n,
        )
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((
        Tlv {
            tag,
            whole,
            content: &whole[header..],
        },
        &input[end..],
    ))
}

fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// The TBSCertificate of `cert` (a certificate, or already a TBS when
/// `is_tbs`), without the poison and SCT extensions; `None` if it isn't
/// DER this walker understands.
pub fn reduced_tbs(der: &[u8], is_tbs: bool) -> Option<Vec<u8>> {
    let tbs = if is_tbs {
        tlv(der)?.0
    } else {
        let (cert, _) = tlv(der)?;
        tlv(cert.content)?.0
    };
    if tbs.tag != 0x30 {
        return None;
    }
    let mut body = Vec::with_capacity(tbs.content.len());
    let mut rest = tbs.content;
    while !rest.is_empty() {
        let (element, next) = tlv(rest)?;
        rest = next;
        if element.tag != 0xa3 {
            body.extend_from_slice(element.whole);
            continue;
        }
        let (list, _) = tlv(element.content)?;
        let mut kept = Vec::with_capacity(list.content.len());
        let mut exts = list.content;
        while !exts.is_empty() {
            let (ext, next) = tlv(exts)?;
            exts = next;
            let (oid, _) = tlv(ext.content)?;
            if oid.content != POISON && oid.content != SCT_LIST {
                kept.extend_from_slice(ext.whole);
            }
        }
        if kept.is_empty() {
            continue;
        }
        let mut seq = Vec::with_capacity(kept.len() + 6);
        push_header(&mut seq, 0x30, kept.len());
        seq.extend_from_slice(&kept);
        push_header(&mut body, 0xa3, seq.len());
        body.extend_from_slice(&seq);
    }
    let mut out = Vec::with_capacity(body.len() + 6);
    push_header(&mut out, 0x30, body.len());
    out.extend_from_slice(&body);
    Some(out)
}

/// Hex SHA-256 of [`reduced_tbs`].
pub fn tbs_sha256(der: &[u8], is_tbs: bool) -> Option<String> {
    reduced_tbs(der, is_tbs).map(|tbs| crate::cert::hex(&Sha256::digest(tbs)))
}
