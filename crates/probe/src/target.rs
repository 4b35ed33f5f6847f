//! `HOST[:PORT]` targets, with optional SNI and address overrides.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use crate::error::Error;

/// An endpoint to probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP address.
    pub host: String,
    /// TCP port (443 unless given).
    pub port: u16,
    /// Server name to send and validate instead of `host`.
    pub sni: Option<String>,
    /// Address to connect to instead of resolving `host`.
    pub connect: Option<SocketAddr>,
}

impl Target {
    /// The name sent in SNI and used for validation.
    pub fn server_name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }

    /// `host:port` for messages.
    pub fn label(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Parses an address override: `IP` (the target's port) or `IP:PORT`.
    pub fn set_connect(&mut self, text: &str) -> Result<(), Error> {
        let addr = text
            .parse::<SocketAddr>()
            .or_else(|_| {
                text.parse::<IpAddr>()
                    .map(|ip| SocketAddr::new(ip, self.port))
            })
            .map_err(|_| Error::BadTarget {
                input: text.to_owned(),
                reason: "--connect takes an IP address or IP:PORT".to_owned(),
            })?;
        self.connect = Some(addr);
        Ok(())
    }
}

impl FromStr for Target {
    type Err = Error;

    fn from_str(input: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::BadTarget {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let s = input.trim();
        let s = s.strip_prefix("https://").unwrap_or(s);
        let s = s.split('/').next().unwrap_or(s);
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, after) = rest.split_once(']').ok_or_else(|| bad("unclosed '['"))?;
            match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None if after.is_empty() => (h, None),
                None => return Err(bad("junk after ']'")),
            }
        } else if s.matches(':').count() > 1 {
            // A bare IPv6 address.
            (s, None)
        } else {
            match s.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (s, None),
            }
        };
        let port = match port {
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad("the port must be 1–65535"))?,
            None => 443,
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let is_ip = host.parse::<IpAddr>().is_ok();
        if !is_ip
            && !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
        {
            return Err(bad("not a host name or IP address"));
        }
        Ok(Self {
            host: host.trim_end_matches('.').to_ascii_lowercase(),
            port,
            sni: None,
            connect: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_ipv6() {
        let t: Target = "Example.com".parse().unwrap();
        assert_eq!((t.host.as_str(), t.port), ("example.com", 443));
        let t: Target = "example.com:8443".parse().unwrap();
        assert_eq!(t.port, 8443);
        let t: Target = "[::1]:8443".parse().unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 8443));
        assert_eq!(t.label(), "[::1]:8443");
        let t: Target = "https://example.com/path".parse().unwrap();
        assert_eq!(t.host, "example.com");
        for bad in [
            "",
            "example.com:0",
            "example.com:99999",
            "[::1",
            "exa mple.com",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn connect_override_takes_ip_or_socket_address() {
        let mut t: Target = "example.com:8443".parse().unwrap();
        t.set_connect("127.0.0.1").unwrap();
        assert_eq!(t.connect, Some("127.0.0.1:8443".parse().unwrap()));
        t.set_connect("[::1]:9000").unwrap();
        assert_eq!(t.connect, Some("[::1]:9000".parse().unwrap()));
        assert!(t.set_connect("localhost").is_err());
    }
}
