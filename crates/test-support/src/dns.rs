//! A real authoritative DNS server for tests: Debian's `knotd` (package
//! `knot`) on a free port of 127.0.0.1, serving the zones a test passes in,
//! from a temporary directory; killed when the value is dropped.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A zone for [`DnsServer::start`].
#[derive(Clone, Debug)]
pub struct Zone {
    origin: String,
    text: Option<String>,
}

impl Zone {
    /// The zone `origin` (`example.test`, or `.` for the root) with an SOA
    /// and an NS record at its apex, then `records` (zone-file lines,
    /// names relative to the origin).
    pub fn new(origin: &str, records: &str) -> Self {
        let text = format!(
            "$TTL 60\n@ SOA ns.invalid. hostmaster.invalid. 1 3600 600 86400 60\n\
             @ NS ns.invalid.\n{records}\n"
        );
        Self::raw(origin, &text)
    }

    /// The zone `origin` with exactly this zone-file text.
    pub fn raw(origin: &str, text: &str) -> Self {
        Self {
            origin: fqdn(origin),
            text: Some(text.to_owned()),
        }
    }

    /// A zone the server is configured for but can't load (its file is
    /// missing): knot answers SERVFAIL for every name in it.
    pub fn unloadable(origin: &str) -> Self {
        Self {
            origin: fqdn(origin),
            text: None,
        }
    }
}

/// What a single UDP query got back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpAnswer {
    /// The response code (0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED).
    pub rcode: u8,
    /// The TC bit: the answer did not fit and must be asked again over TCP.
    pub truncated: bool,
    /// The number of answer records in this (possibly truncated) message.
    pub answers: u16,
}

/// A running `knotd`; killed with the value.
#[derive(Debug)]
pub struct DnsServer {
    /// Where it answers, over UDP and TCP.
    pub addr: SocketAddr,
    child: Child,
    dir: tempfile::TempDir,
}

/// DNS record types tests ask for.
pub const SOA: u16 = 6;
/// CAA (RFC 8659).
pub const CAA: u16 = 257;

impl DnsServer {
    /// Starts `knotd` serving `zones` and waits until every zone answers
    /// (loaded zones with NOERROR, unloadable ones with anything).
    ///
    /// # Panics
    /// When `knotd` is not installed (the message says to install Debian's
    /// `knot`; `./scripts/test` does), or it doesn't start: these tests
    /// don't skip.
    pub fn start(zones: &[Zone]) -> Self {
        let knotd = knotd();
        let mut last_log = String::new();
        for _attempt in 0..5 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let port = free_port();
            write_config(dir.path(), port, zones);
            let log = std::fs::File::create(dir.path().join("knotd.log")).expect("a log file");
            let child = Command::new(&knotd)
                .arg("-c")
                .arg(dir.path().join("knot.conf"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("the log file clones"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("can't run {}: {e}", knotd.display()));
            let mut server = Self {
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                child,
                dir,
            };
            if server.wait_ready(zones) {
                return server;
            }
            last_log = server.log();
            // Most likely another process took the port between our probe
            // and knotd's bind: try another one.
        }
        panic!("knotd did not start serving the zones; its last log:\n{last_log}");
    }

    fn wait_ready(&mut self, zones: &[Zone]) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let ready = zones.iter().all(|z| match self.query_udp(&z.origin, SOA) {
                Some(a) if z.text.is_some() => a.rcode == 0 && a.answers > 0,
                Some(_) => true,
                None => false,
            });
            if ready {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// knotd's log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("knotd.log")).unwrap_or_default()
    }

    /// Asks the server `name`/`qtype` once over UDP, without EDNS (so a
    /// 512-byte limit), and reads the header of the answer; `None` when
    /// nothing came back within half a second.
    pub fn query_udp(&self, name: &str, qtype: u16) -> Option<UdpAnswer> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
        socket
            .set_read_timeout(Some(Duration::from_millis(500)))
            .ok()?;
        let id: u16 = 0x5057;
        let mut q = Vec::with_capacity(64);
        q.extend_from_slice(&id.to_be_bytes());
        q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // no RD; one question
        for label in name
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
        {
            q.push(u8::try_from(label.len()).ok()?);
            q.extend_from_slice(label.as_bytes());
        }
        q.push(0);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&1u16.to_be_bytes()); // IN
        socket.send_to(&q, self.addr).ok()?;
        let mut buf = [0u8; 4096];
        let (n, _) = socket.recv_from(&mut buf).ok()?;
        if n < 12 || buf[..2] != id.to_be_bytes() {
            return None;
        }
        Some(UdpAnswer {
            rcode: buf[3] & 0x0f,
            truncated: buf[2] & 0x02 != 0,
            answers: u16::from_be_bytes([buf[6], buf[7]]),
        })
    }

    /// Asks the server with Debian's `kdig` (package `knot-dnsutils`), a DNS
    /// client independent of hickory and of pinwarden: the records of the
    /// answer in kdig's presentation format (`+short`), one a line.
    ///
    /// # Panics
    /// When `kdig` is not installed (`./scripts/test` installs it) or fails.
    pub fn kdig(&self, name: &str, qtype: &str) -> Vec<String> {
        let out = Command::new("kdig")
            .arg(format!("@{}", self.addr.ip()))
            .args(["-p", &self.addr.port().to_string(), "+short", name, qtype])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "can't run kdig ({e}): install Debian's `knot-dnsutils` package, or run \
                     ./scripts/test, which installs it"
                )
            });
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "kdig {name} {qtype} failed: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout.lines().map(|l| l.trim().to_owned()).collect()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fqdn(name: &str) -> String {
    let name = name.trim_end_matches('.');
    format!("{name}.")
}

/// `knotd` on PATH or in /usr/sbin (not on a normal user's PATH).
fn knotd() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("knotd"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| Some(PathBuf::from("/usr/sbin/knotd")).filter(|p| p.is_file()))
        .unwrap_or_else(|| {
            panic!(
                "knotd is not installed: these tests run a real DNS server. \
                 Install Debian's `knot` package (apt-get install knot), or run \
                 ./scripts/test, which installs it"
            )
        })
}

/// A port free for both UDP and TCP on 127.0.0.1 (knotd listens on both).
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a UDP port");
        let port = udp
            .local_addr()
            .expect("a bound socket has an address")
            .port();
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
}

fn write_config(dir: &Path, port: u16, zones: &[Zone]) {
    let zones_dir = dir.join("zones");
    std::fs::create_dir_all(&zones_dir).expect("create the zones directory");
    let d = dir.display();
    let mut conf = format!(
        "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n    pidfile: \"{d}/knotd.pid\"\n\
         control:\n    listen: \"{d}/knot.sock\"\n\
         database:\n    storage: \"{d}/db\"\n\
         log:\n  - target: stderr\n    any: info\n\
         template:\n  - id: default\n    storage: \"{d}/zones\"\n    zonefile-sync: -1\n    journal-content: none\n\
         zone:\n"
    );
    for (i, zone) in zones.iter().enumerate() {
        let file = format!("zone{i}.zone");
        // Writing to a String can't fail.
        let _ = writeln!(
            conf,
            "  - domain: \"{}\"\n    file: \"{file}\"",
            zone.origin
        );
        if let Some(text) = &zone.text {
            std::fs::write(zones_dir.join(&file), text).expect("write a zone file");
        }
    }
    std::fs::write(dir.join("knot.conf"), conf).expect("write knot.conf");
}
