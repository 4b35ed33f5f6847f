//! CAA answers that pinwarden reads itself, because hickory can't.
//!
//! hickory-proto 0.26 refuses a CAA record whose tag is longer than 15
//! octets (its `read_tag`), although RFC 8659 §4.1 allows up to 255, and it
//! decodes a whole message or nothing, inside its transport: one such record
//! fails the lookup over UDP, and over TCP hickory drops the answer and waits
//! until the lookup times out. SSLMate's caatestsuite has two
//! (`critical1.basic`, `critical2.basic`: `caatestsuitedummyproperty`, 25
//! octets), and any domain may have a long tag that isn't even critical.
//!
//! So the resolver lets hickory use UDP only, and when hickory can't decode
//! an answer, or the answer didn't fit in UDP, the question goes over TCP
//! here, to the same servers:
//!
//! ```text
//! query (RD, CAA, IN) ==> TCP, each server in turn, each attempt ==> header, question
//!     ==> answer section: CNAMEs and CAA records (names decoded by hickory)
//!     ==> alias chain from the name asked ==> CAA RDATA at its end: parse_rdata
//!     ==> chain leaves the answer (another zone)? ask about its end, up to 8 aliases
//! ```
//!
//! This path caches nothing; hickory's answers are cached as before.

use std::hash::BuildHasher;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{ProtocolConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::Name;
use hickory_resolver::proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError};
use pinwarden_core::caa::CaaRecord;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Step, answered, owner_text};

const CNAME: u16 = 5;
const CAA: u16 = 257;
const IN: u16 = 1;

/// The most aliases followed from one name: hickory's resolvers and BIND
/// stop at a similar depth, and a loop must end somewhere.
const MAX_ALIASES: usize = 8;

/// Asks for CAA over TCP and reads the answer without hickory's decoder.
#[derive(Clone, Debug)]
pub(super) struct TcpCaa {
    servers: Vec<SocketAddr>,
    timeout: Duration,
    attempts: usize,
}

impl TcpCaa {
    /// The resolver's servers, at their TCP port (or, without one, the port
    /// they have: DNS servers answer TCP and UDP on the same port).
    pub(super) fn new(config: &ResolverConfig, options: &ResolverOpts) -> Self {
        let servers = config
            .name_servers
            .iter()
            .filter_map(|ns| {
                let tcp = ns
                    .connections
                    .iter()
                    .find(|c| matches!(c.protocol, ProtocolConfig::Tcp));
                let port = tcp.or_else(|| ns.connections.first())?.port;
                Some(SocketAddr::new(ns.ip, port))
            })
            .collect();
        Self {
            servers,
            timeout: options.timeout,
            attempts: options.attempts.max(1),
        }
    }

    /// The CAA RRset at `name` (after aliases), or none.
    pub(super) async fn lookup(&self, name: &Name) -> Result<Step, String> {
        let mut target = name.clone();
        let mut aliases = 0;
        loop {
            let answer = self.ask(&target).await?;
            let mut owner = target.clone();
            while let Some(next) = answer.alias_of(&owner) {
                aliases += 1;
                if aliases > MAX_ALIASES {
                    return Err(format!(
                        "more than {MAX_ALIASES} aliases (CNAME) from {} (a loop?)",
                        owner_text(name)
                    ));
                }
                owner = next.clone();
            }
            let mut records = Vec::new();
            for (i, rdata) in answer.caa_at(&owner).enumerate() {
                let record = parse_rdata(rdata).map_err(|why| {
                    format!(
                        "CAA record {} of {} is malformed: {why}",
                        i + 1,
                        owner_text(&owner)
                    )
                })?;
                records.push(record);
            }
            if !records.is_empty() {
                return Ok(Step::Found {
                    owner: owner_text(&owner),
                    records,
                });
            }
            if owner == target || answer.rcode == ResponseCode::NXDomain {
                return Ok(Step::Empty);
            }
            // The chain leads out of what the server answered for (an
            // authoritative server answers for its own zones only): ask
            // about its end, as hickory does.
            target = owner;
        }
    }

    /// One question to the servers in turn, for each attempt, until one
    /// answers: an answer that can't be read, or any response code but
    /// NOERROR and NXDOMAIN, ends the lookup (as with hickory).
    async fn ask(&self, name: &Name) -> Result<Answer, String> {
        let mut last = "no name server is configured".to_owned();
        for _ in 0..self.attempts {
            for &server in &self.servers {
                // The id needn't be unpredictable over TCP (the connection
                // is the match), but a fixed one would look like a bug.
                let id = std::collections::hash_map::RandomState::new().hash_one(name) as u16;
                let query = query(id, name);
                let bytes = match tokio::time::timeout(self.timeout, exchange(server, &query)).await
                {
                    Ok(Ok(bytes)) => bytes,
                    Ok(Err(e)) => {
                        last = format!("asking {server} over TCP: {e}");
                        continue;
                    }
                    Err(_) => {
                        last = format!(
                            "no answer from {server} over TCP (timed out after {:?})",
                            self.timeout
                        );
                        continue;
                    }
                };
                let answer = Answer::parse(&bytes, id, name).map_err(|why| {
                    format!("the answer from {server} over TCP is malformed: {why}")
                })?;
                return match answer.rcode {
                    ResponseCode::NoError | ResponseCode::NXDomain => Ok(answer),
                    code => Err(answered(code)),
                };
            }
        }
        Err(last)
    }
}

/// One TCP exchange: the query with its two-octet length, then the answer
/// (RFC 1035 §4.2.2).
async fn exchange(server: SocketAddr, query: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(server).await?;
    // A query holds one name (at most 255 octets) and 16 more: it fits.
    let len = u16::try_from(query.len()).expect("a one-question query is short");
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed).await?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).await?;
    Ok(answer)
}

/// A query for `name` CAA IN, recursion desired.
fn query(id: u16, name: &Name) -> Vec<u8> {
    let mut q = Vec::with_capacity(32);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD; one question
    for label in name.iter() {
        // Labels of a parsed `Name` are 1 to 63 octets.
        q.push(label.len() as u8);
        q.extend_from_slice(label);
    }
    q.push(0);
    q.extend_from_slice(&CAA.to_be_bytes());
    q.extend_from_slice(&IN.to_be_bytes());
    q
}

/// What an answer says, as far as CAA needs.
#[derive(Debug)]
struct Answer {
    rcode: ResponseCode,
    /// Alias → target, from the answer section's CNAME records.
    aliases: Vec<(Name, Name)>,
    /// Owner → RDATA, from the answer section's CAA records, unparsed.
    caa: Vec<(Name, Vec<u8>)>,
}

impl Answer {
    /// Reads the header, checks that the answer is to this query, and
    /// collects the answer section's CNAME and CAA records (other types,
    /// and the authority and additional sections, are skipped).
    fn parse(msg: &[u8], id: u16, qname: &Name) -> Result<Self, String> {
        let Some(header) = msg.first_chunk::<12>() else {
            return Err(format!("{} octets, shorter than a DNS header", msg.len()));
        };
        let count = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
        if count(0) != id {
            return Err(format!("its id {} is not the query's {id}", count(0)));
        }
        let (flags, low) = (header[2], header[3]);
        if flags & 0x80 == 0 {
            return Err("it is a query, not a response".into());
        }
        if flags & 0x78 != 0 {
            return Err(format!("its opcode is {}, not QUERY", (flags >> 3) & 0x0f));
        }
        if flags & 0x02 != 0 {
            return Err("it is truncated even over TCP".into());
        }
        let rcode = ResponseCode::from_low(low & 0x0f);
        let (questions, answers) = (count(4), count(6));
        if questions != 1 {
            return Err(format!("it has {questions} questions, not the query's one"));
        }

        let dec = |e: DecodeError| e.to_string();
        let mut d = BinDecoder::new(msg);
        d.read_slice(12).map_err(dec)?;
        let name = Name::read(&mut d).map_err(dec)?;
        let qtype = d.read_u16().map_err(dec)?.unverified(/* compared below */);
        let qclass = d.read_u16().map_err(dec)?.unverified(/* compared below */);
        if name != *qname || qtype != CAA || qclass != IN {
            return Err(format!(
                "it answers another question ({} type {qtype} class {qclass})",
                owner_text(&name)
            ));
        }

        let mut answer = Self {
            rcode,
            aliases: Vec::new(),
            caa: Vec::new(),
        };
        for _ in 0..answers {
            let owner = Name::read(&mut d).map_err(dec)?;
            let rtype = d.read_u16().map_err(dec)?.unverified(/* matched below */);
            let class = d.read_u16().map_err(dec)?.unverified(/* matched below */);
            d.read_u32().map_err(dec)?; // TTL: nothing is cached here
            let len = d.read_u16().map_err(dec)?.unverified(/* bounds-checked by read_slice */);
            let start = d.index();
            let rdata = d.read_slice(usize::from(len)).map_err(|_| {
                format!(
                    "a record of {} claims {len} octets of data past the end of the message",
                    owner_text(&owner)
                )
            })?;
            match (rtype, class) {
                (CNAME, IN) => {
                    // The target may point back into the message
                    // (compression), so it is read from the whole message.
                    let mut at = BinDecoder::new(msg);
                    at.read_slice(start).map_err(dec)?;
                    let target = Name::read(&mut at).map_err(dec)?;
                    if at.index() != start + usize::from(len) {
                        return Err(format!(
                            "the CNAME record of {} has {len} octets of data, not one name",
                            owner_text(&owner)
                        ));
                    }
                    answer.aliases.push((owner, target));
                }
                (CAA, IN) => answer.caa.push((
                    owner,
                    rdata.unverified(/* parse_rdata checks it */).to_vec(),
                )),
                _ => {}
            }
        }
        Ok(answer)
    }

    fn alias_of(&self, name: &Name) -> Option<&Name> {
        self.aliases
            .iter()
            .find(|(alias, _)| alias == name)
            .map(|(_, target)| target)
    }

    fn caa_at<'a>(&'a self, name: &'a Name) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.caa
            .iter()
            .filter(move |(owner, _)| owner == name)
            .map(|(_, rdata)| rdata.as_slice())
    }
}

/// A CAA record's RDATA (RFC 8659 §4.1): the flags octet, the tag length,
/// the tag, and the value, which is the rest.
///
/// ```text
/// +0-1-2-3-4-5-6-7-|0-1-2-3-4-5-6-7-|
/// | Flags          | Tag Length = n |
/// +----------------+----------------+...+---------------+
/// | Tag char 0     | Tag char 1     |...| Tag char n-1  |
/// +----------------+----------------+...+---------------+
/// | Value byte 0   | Value byte 1   |.....| Value byte m-1 |
/// ```
///
/// The issuer-critical flag is bit 0 (128); the other bits are reserved and
/// ignored, as §4.1 requires (`critical2` sets 130). Tags are 1 to 255
/// letters and digits; anything else is malformed. The value may be empty,
/// and is taken as UTF-8 with any invalid octets replaced (an `issue` value
/// with them then names no valid issuer).
pub(super) fn parse_rdata(rdata: &[u8]) -> Result<CaaRecord, String> {
    let [flags, tag_len, rest @ ..] = rdata else {
        return Err(format!(
            "its data is {} octet(s), shorter than the flags and tag length",
            rdata.len()
        ));
    };
    let tag_len = usize::from(*tag_len);
    if tag_len == 0 {
        return Err("its tag is empty (RFC 8659 §4.1: at least one octet)".into());
    }
    let Some((tag, value)) = rest.split_at_checked(tag_len) else {
        return Err(format!(
            "its tag length is {tag_len} but only {} octet(s) follow",
            rest.len()
        ));
    };
    if !tag.iter().all(u8::is_ascii_alphanumeric) {
        return Err(format!(
            "its tag {:?} has characters other than letters and digits (RFC 8659 §4.1)",
            String::from_utf8_lossy(tag)
        ));
    }
    Ok(CaaRecord {
        critical: flags & 0x80 != 0,
        // Checked above: ASCII letters and digits.
        tag: String::from_utf8_lossy(tag).into_owned(),
        value: String::from_utf8_lossy(value).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rdata(flags: u8, tag: &[u8], value: &[u8]) -> Vec<u8> {
        let mut r = vec![flags, u8::try_from(tag.len()).unwrap()];
        r.extend_from_slice(tag);
        r.extend_from_slice(value);
        r
    }

    #[test]
    fn rdata_of_every_shape_rfc_8659_allows() {
        let r = parse_rdata(&rdata(0, b"issue", b"letsencrypt.org")).unwrap();
        assert_eq!(
            r,
            CaaRecord {
                critical: false,
                tag: "issue".into(),
                value: "letsencrypt.org".into()
            }
        );
        // caatestsuite's critical1 and critical2: 25-octet tag, reserved bit set.
        for flags in [128, 130] {
            let r = parse_rdata(&rdata(flags, b"caatestsuitedummyproperty", b"test")).unwrap();
            assert!(r.critical, "{flags}");
            assert_eq!(
                (r.tag.as_str(), r.value.as_str()),
                ("caatestsuitedummyproperty", "test")
            );
        }
        // Reserved bits alone don't make a property critical.
        assert!(!parse_rdata(&rdata(0x7f, b"tbs", b"x")).unwrap().critical);
        // The longest tag, an empty value, any case.
        let long = [b'T'; 255];
        let r = parse_rdata(&rdata(0, &long, b"")).unwrap();
        assert_eq!((r.tag.len(), r.value.as_str()), (255, ""));
        // A value is opaque octets: spaces, quotes, `;` and invalid UTF-8.
        let r = parse_rdata(&rdata(0, b"issue", b"; \"x\xff")).unwrap();
        assert_eq!(r.value, "; \"x\u{fffd}");
    }

    #[test]
    fn malformed_rdata_is_an_error_saying_what_is_wrong() {
        let cases: [(&[u8], &str); 6] = [
            (b"", "0 octet(s)"),
            (&[0], "1 octet(s)"),
            (&[0, 0, b'x'], "tag is empty"),
            (&[0, 5, b'a'], "tag length is 5 but only 1"),
            (&[128, 255], "tag length is 255 but only 0"),
            (b"\x00\x06is-sue", "other than letters and digits"),
        ];
        for (bytes, expected) in cases {
            let e = parse_rdata(bytes).unwrap_err();
            assert!(e.contains(expected), "{bytes:?}: {e}");
        }
    }

    #[test]
    fn every_prefix_and_every_octet_of_an_answer_is_handled_without_panicking() {
        let name = Name::from_ascii("critical1.basic.caatestsuite.com.").unwrap();
        let mut msg = query(7, &name);
        msg[2] = 0x81; // QR, RD
        msg[3] = 0x80; // RA, NOERROR
        msg[7] = 2; // two answers
        // A CNAME with a compressed target (the question's name), then CAA.
        msg.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
        let caa = rdata(128, b"caatestsuitedummyproperty", b"test");
        msg.extend_from_slice(&[0xc0, 12, 1, 1, 0, 1, 0, 0, 0, 60, 0, caa.len() as u8]);
        msg.extend_from_slice(&caa);
        let answer = Answer::parse(&msg, 7, &name).unwrap();
        assert_eq!(answer.aliases, [(name.clone(), name.clone())]);
        let records: Vec<_> = answer.caa_at(&name).map(parse_rdata).collect();
        assert!(matches!(&records[..], [Ok(r)] if r.critical && r.value == "test"));

        for end in 0..msg.len() {
            let _ = Answer::parse(&msg[..end], 7, &name);
        }
        for at in 0..msg.len() {
            for value in [0, 1, 0x3f, 0x40, 0xc0, 0xff] {
                let mut bad = msg.clone();
                bad[at] = value;
                if let Ok(a) = Answer::parse(&bad, 7, &name) {
                    for (_, r) in &a.caa {
                        let _ = parse_rdata(r);
                    }
                }
            }
        }
        let e = Answer::parse(&msg, 8, &name).unwrap_err();
        assert!(e.contains("id 7"), "{e}");
        let other = Name::from_ascii("critical2.basic.caatestsuite.com.").unwrap();
        let e = Answer::parse(&msg, 7, &other).unwrap_err();
        assert!(e.contains("another question"), "{e}");
    }
}
