//! Where a request comes from, as the rollout guard and the rate limits
//! count it: a network prefix (IPv4 /24, IPv6 /48), never a single address,
//! so one machine with many addresses is still one source. The peer's
//! address is used unless the peer is a configured trusted proxy; then the
//! nearest address in `X-Forwarded-For` that isn't a trusted proxy is. A
//! forwarding header from anyone else is ignored: a client can't pick its
//! own source.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};

/// A network range, `ADDR/BITS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl std::str::FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?}: not an address or ADDRESS/BITS"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b
                .parse::<u8>()
                .ok()
                .filter(|b| *b <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length is 0 to {max}"))?,
            None => max,
        };
        Ok(Self { addr, bits })
    }
}

impl Cidr {
    /// Whether `ip` is inside the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address: the peer, or behind trusted proxies the nearest
/// untrusted address they forwarded.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let peer = canonical(peer.ip());
    if !trusted.iter().any(|c| c.contains(peer)) {
        return peer;
    }
    // Right to left: each proxy appends the address it got the request from.
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .map(canonical)
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !trusted.iter().any(|c| c.contains(**ip)))
        .copied()
        .unwrap_or(peer)
}

/// The source a client address counts as: its /24 or /48, hashed, so the
/// database keeps no address.
pub fn source_of(ip: IpAddr) -> String {
    let prefix = match canonical(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    };
    let digest = Sha256::digest(prefix.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The source of a request.
pub fn request_source(peer: SocketAddr, headers: &HeaderMap, trusted: &[Cidr]) -> String {
    source_of(client_ip(peer, headers, trusted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxy: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let trusted = ["10.0.0.0/8".parse::<Cidr>().unwrap()];
        let h = headers("203.0.113.9, 198.51.100.7");
        // A stranger's header is ignored.
        assert_eq!(
            client_ip("192.0.2.1:1".parse().unwrap(), &h, &trusted),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        // Behind the proxy: the nearest address it didn't add itself.
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A forged left-most entry doesn't help: the proxy appended the real one.
        assert_eq!(
            client_ip(proxy, &headers("1.2.3.4, 10.0.0.9"), &trusted),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy.ip());
    }

    #[test]
    fn one_prefix_is_one_source() {
        let a = source_of("198.51.100.7".parse().unwrap());
        assert_eq!(a, source_of("198.51.100.200".parse().unwrap()));
        assert_ne!(a, source_of("198.51.101.7".parse().unwrap()));
        assert_eq!(
            source_of("2001:db8:1:2::1".parse().unwrap()),
            source_of("2001:db8:1:ffff::9".parse().unwrap())
        );
        assert_eq!(source_of("::ffff:198.51.100.7".parse().unwrap()), a);
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!(
            "::/0"
                .parse::<Cidr>()
                .unwrap()
                .contains("2001:db8::1".parse().unwrap())
        );
    }
}
