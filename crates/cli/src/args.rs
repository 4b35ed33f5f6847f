//! Command-line flags, as parsed; each command checks them into its own config.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Make TLS public-key pinning safe to operate.
///
/// Exit codes: 0 fine, 1 findings, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "pinwarden", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Chain, level and SPKI pin of every certificate in files, bundles, stdin
    /// (`-`) or live endpoints (HOST[:PORT]).
    Pin(PinArgs),
    /// Write a pin set as the configuration of a client platform.
    Export(ExportArgs),
    /// Print the JSON Schema of pinwarden.toml.
    Schema,
    /// Find lock-out and lifecycle risks in a policy file.
    Lint(LintArgs),
    /// Check every pin set against the chains its hosts serve.
    Check(CheckArgs),
    /// Play out a certificate or CA change: what breaks, and the safe plan.
    Simulate(SimulateArgs),
    /// Write a starting pinwarden.toml from live endpoints.
    Init(InitArgs),
    /// The decision framework: verdict per application, radar, five questions, cost.
    Assess(AssessArgs),
    /// Markdown runbooks for rotation, CA migration and emergency re-issuance.
    Runbook(RunbookArgs),
    /// The server: the assessment API and page (127.0.0.1:8080 by default).
    // Boxed: its flags outweigh every other command's.
    Serve(Box<ServeArgs>),
    /// Signed pin manifests: keys, signing, verification, static publishing.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Which CAs may issue for domain names (CAA, RFC 8659), checked against the policy's pin sets.
    Caa(CaaArgs),
    /// Certificate Transparency: the pin-aware monitor and tree head checks.
    #[command(subcommand)]
    Ct(CtCommand),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each DOMAIN is shown with its wildcard (*.DOMAIN): where the relevant CAA RRset \
was found (RFC 8659 climbs to the parent until one is found; aliases are followed), \
which CAs may issue (identifier and CA name), iodef, unknown and critical tags, \
and RFC 8657 parameters (accounturi, validationmethods), which a certificate can't show.

Exit codes:
  0  every check passed
  1  findings: a --ca CA may not issue for a DOMAIN, or (--policy) a pin set accepts \
a CA that CAA forbids, CAA permits a CA a pin set for the host doesn't accept, or \
organisation.cas names a CA that CAA forbids
  2  usage or input error, or a CAA lookup failed (SERVFAIL, REFUSED, timeout): \
a failed lookup is never read as 'any CA may issue'")]
pub(crate) struct CaaArgs {
    /// Domain names; `*.example.com` asks about the wildcard only.
    #[arg(required = true, value_name = "DOMAIN")]
    pub(crate) domains: Vec<String>,
    /// Exit 1 unless this CA may issue for every DOMAIN as given: a CAA
    /// identifier (letsencrypt.org) or a CA name from the dataset (a CA
    /// may issue when any of its identifiers is permitted); repeatable.
    #[arg(long = "ca", value_name = "IDENTIFIER")]
    pub(crate) cas: Vec<String>,
    /// Cross-check with this policy's pin sets for the DOMAINs and its organisation.cas.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<String>,
    /// Ask this DNS server (IP or IP:PORT) instead of /etc/resolv.conf's.
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) dns_server: Option<String>,
    /// A CA dataset file instead of the built-in one (format: crates/core/data/cas.toml).
    #[arg(long = "cas", value_name = "FILE")]
    pub(crate) dataset: Option<String>,
    /// Seconds to wait for each DNS answer (each query is tried twice).
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub(crate) timeout: f64,
    /// Output as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CtCommand {
    /// Catch up every log to its newest signed tree head, report verified matches, exit.
    ///
    /// Exit codes: 0 caught up; 1 a log failed (misbehaving, unreachable)
    /// or an alert could not be delivered (kept for the next run);
    /// 2 bad input (log list, watchlist, policy, state); 3 caught up, and an
    /// alert says unexpected-issuer, would-break-pinset or caa-violation.
    Once(CtRunArgs),
    /// Monitor continuously: a round per log every --interval seconds, until Ctrl-C.
    Watch(CtWatchArgs),
    /// Where monitoring stands per log, from the saved state: verified size, tree head age, gaps.
    Coverage(CtCoverageArgs),
    /// Verify a log's get-sth answer against its key (exit 1 when it doesn't verify).
    VerifySth(VerifySthArgs),
}

#[derive(Clone, Debug, Args)]
pub(crate) struct CtRunArgs {
    /// Chrome v3 log list (file or http(s) URL); its RFC 6962 and static-ct-api (tiled) logs are monitored.
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) logs: String,
    /// Watchlist: one name per line, `.example.com` for a whole subtree. Default: every host in --policy.
    #[arg(long, value_name = "FILE")]
    pub(crate) watchlist: Option<String>,
    /// Policy whose pin sets, applications and CAs the matches are judged against.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<String>,
    /// CA dataset (CA names, CAA identifiers, key pins) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub(crate) cas: Option<String>,
    /// Directory for per-log state (created, mode 0700).
    #[arg(long, value_name = "DIR", default_value = "pinwarden-data/ct")]
    pub(crate) state_dir: String,
    /// Append alerts as JSON lines to FILE.
    #[arg(long, value_name = "FILE")]
    pub(crate) jsonl: Option<String>,
    /// Run PROGRAM per alert with certspotter's hook environment plus PINSET and VERDICT.
    #[arg(long, value_name = "PROGRAM")]
    pub(crate) hook: Option<String>,
    /// POST each alert as JSON (Slack-compatible `text`) to URL.
    #[arg(long, value_name = "URL")]
    pub(crate) webhook: Option<String>,
    /// Don't print alerts on stdout.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Print the round's outcome and coverage as JSON on stdout (alerts not printed as text).
    #[arg(long)]
    pub(crate) json: bool,
    /// Don't check CAA for matched names.
    #[arg(long)]
    pub(crate) no_caa: bool,
    /// Nameserver for CAA lookups (default: the system's resolvers).
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) dns_server: Option<std::net::SocketAddr>,
    /// Entries per get-entries request.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub(crate) batch_size: u64,
    /// Requests in flight per log.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub(crate) parallel: usize,
    /// Requests per second per log (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 20.0)]
    pub(crate) rps: f64,
}

#[derive(Debug, Args)]
pub(crate) struct CtWatchArgs {
    #[command(flatten)]
    pub(crate) run: CtRunArgs,
    /// Seconds between rounds per log.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) interval: u64,
}

#[derive(Debug, Args)]
pub(crate) struct CtCoverageArgs {
    /// Chrome v3 log list (file or http(s) URL).
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) logs: String,
    /// Directory of per-log state.
    #[arg(long, value_name = "DIR", default_value = "pinwarden-data/ct")]
    pub(crate) state_dir: String,
    /// Output as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifySthArgs {
    /// The get-sth JSON (file, or - for stdin).
    #[arg(value_name = "STH")]
    pub(crate) sth: String,
    /// The log's key: base64 of its DER SubjectPublicKeyInfo, as in the log list.
    #[arg(long, value_name = "BASE64")]
    pub(crate) log_key: String,
    /// Output as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ManifestCommand {
    /// Make a signing key: NAME.key (PKCS#8 PEM, mode 0600) and NAME.pub.
    Keygen(KeygenArgs),
    /// Sign a manifest built from a policy's pin sets for one app, or a payload file.
    Sign(SignArgs),
    /// Verify an envelope against trusted keys (exit 1 when refused or expired).
    Verify(VerifyArgs),
    /// Print an envelope's manifest WITHOUT verifying it.
    Show(ShowArgs),
    /// Verify envelopes and write them as static files (DIR/APP/manifest.json and vN.json).
    Publish(PublishArgs),
    /// Write the shared test vectors other clients test against (new keys on each run).
    Vectors(VectorsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VectorsArgs {
    /// The directory to write (created if needed): keys.json, manifests.json,
    /// cohorts.json, hosts.json, sets.json, chains.json and README.md.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: String,
}

#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Path prefix of the files to write (NAME.key, NAME.pub).
    #[arg(long, value_name = "NAME")]
    pub(crate) out: String,
    /// ed25519 or ecdsa-p256 (the latter verifiable by iOS and Android platform crypto).
    #[arg(long, default_value = "ed25519", value_name = "ALG")]
    pub(crate) alg: String,
    /// Replace existing files.
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the key id and public key as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
#[command(disable_version_flag = true)]
pub(crate) struct SignArgs {
    /// A private key (PKCS#8 PEM); repeat to add signatures.
    #[arg(long = "key", required = true, value_name = "FILE")]
    pub(crate) keys: Vec<String>,
    /// Build the manifest from this policy's pin sets for --app.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "payload",
        requires = "app"
    )]
    pub(crate) policy: Option<String>,
    /// The application whose pin sets go in the manifest.
    #[arg(long, value_name = "ID")]
    pub(crate) app: Option<String>,
    /// Sign this manifest JSON as it is instead.
    #[arg(long, value_name = "FILE")]
    pub(crate) payload: Option<String>,
    /// The manifest version: higher than every version clients have seen.
    #[arg(long, value_name = "N")]
    pub(crate) version: Option<u64>,
    /// Days until clients stop trusting the manifest.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub(crate) expires_in: u32,
    /// fall-back-to-built-in or suspend-and-report.
    #[arg(
        long,
        default_value = "fall-back-to-built-in",
        value_name = "BEHAVIOUR"
    )]
    pub(crate) after_expiry: String,
    /// A policy pin set for a staged rollout (repeatable), replacing the stable set of the same hosts.
    #[arg(long = "candidate-pinset", value_name = "ID", requires = "percentage")]
    pub(crate) candidate_pinsets: Vec<String>,
    /// Share of installations (0-100) that get the candidate pin sets.
    #[arg(long, value_name = "P")]
    pub(crate) percentage: Option<u8>,
    /// Write the envelope here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TrustArgs {
    /// A trusted public key (PEM file, or base64 DER); repeatable.
    #[arg(long = "trust", required = true, value_name = "KEY")]
    pub(crate) trust: Vec<String>,
    /// How many distinct trusted keys must have signed.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) threshold: usize,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The envelope (JSON file, or - for stdin).
    #[arg(value_name = "ENVELOPE")]
    pub(crate) envelope: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
    /// The app the manifest must be for (default: the one it names).
    #[arg(long, value_name = "ID")]
    pub(crate) app: Option<String>,
    /// The last accepted version; older is a rollback.
    #[arg(long, value_name = "N", requires = "last_sha256")]
    pub(crate) last_version: Option<u64>,
    /// SHA-256 (hex) of the last accepted payload; same version, other content is equivocation.
    #[arg(long, value_name = "HEX")]
    pub(crate) last_sha256: Option<String>,
    /// Output as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The envelope (JSON file, or - for stdin).
    #[arg(value_name = "ENVELOPE")]
    pub(crate) envelope: String,
    /// Output as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// Signed envelopes to publish.
    #[arg(required = true, value_name = "ENVELOPE")]
    pub(crate) envelopes: Vec<String>,
    /// The directory to write (for a CDN or an object store).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: String,
    #[command(flatten)]
    pub(crate) trust: TrustArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub(crate) listen: std::net::SocketAddr,
    /// Seconds a client has to send a request's headers, from connecting or
    /// from its first byte after an idle spell; then the connection closes.
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) header_timeout: u64,
    /// Seconds a kept-alive connection waits for its next request, and a
    /// response may wait for a client that doesn't read.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) idle_timeout: u64,
    /// Seconds a client has to send a request's body, from its headers (then 408).
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) body_timeout: u64,
    /// Connections served at once. When all are taken, the longest idle or
    /// slowest one makes way for a new one; if all are busy, 503 with Retry-After.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) max_connections: u64,
    /// The policy file.
    #[arg(long, default_value = "pinwarden.toml", value_name = "FILE")]
    pub(crate) policy: String,
    /// The database: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, default_value = pinwarden_server::store::DEFAULT_URL, value_name = "URL")]
    pub(crate) database: String,
    /// A key uploaded manifests must be signed with (PEM file or base64 DER); repeatable.
    #[arg(long = "manifest-trust", value_name = "KEY")]
    pub(crate) manifest_trust: Vec<String>,
    /// How many distinct trusted keys must have signed an upload.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) manifest_threshold: usize,
    /// A file holding the admin API's bearer token (else $PINWARDEN_ADMIN_TOKEN; neither: admin API off).
    #[arg(long, value_name = "FILE")]
    pub(crate) admin_token_file: Option<String>,
    /// Days pin-failure reports are kept.
    #[arg(long, default_value_t = 30, value_name = "DAYS")]
    pub(crate) report_retention_days: u32,
    /// The same failure within this many minutes is counted, not stored again.
    #[arg(long, default_value_t = 60, value_name = "MINUTES")]
    pub(crate) report_dedup_minutes: u32,
    /// SQLite: distinct failures of the current dedup window kept in memory
    /// (20-40 bytes each: ~37 MB at the default). Past that a new failure is
    /// still stored, but a repeat of it gets its own row.
    #[arg(long, default_value_t = 1_000_000, value_name = "N")]
    pub(crate) report_dedup_memory: usize,
    /// Reports waiting to be written, at most (then 503 with Retry-After).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub(crate) report_queue: usize,
    /// Reports per second per source and app, sustained (bursts of 12x).
    #[arg(long, default_value_t = 10.0, value_name = "N")]
    pub(crate) report_rate: f64,
    /// Reports per second per source (a /24 or /48) across all apps and hosts,
    /// sustained (bursts of 12x).
    #[arg(long, default_value_t = 20.0, value_name = "N")]
    pub(crate) report_source_rate: f64,
    /// New distinct failures one source may add per minute (then 429); repeats
    /// of a known failure don't count.
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) report_source_new_failures: u32,
    /// New distinct failures the server stores per minute, all sources together
    /// (then 503 with Retry-After); repeats of a known failure don't count.
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) report_new_failures: u32,
    /// Keep each report's client address (off: addresses are used for rate limits only).
    #[arg(long)]
    pub(crate) store_client_ip: bool,
    /// Seconds between rollout guard checks.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub(crate) guard_interval: u64,
    /// Candidate clients the guard needs before it judges.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) guard_min_clients: usize,
    /// Halt when the candidate's failure rate is more than this many points above the stable one's.
    #[arg(long, default_value_t = 5.0, value_name = "POINTS")]
    pub(crate) guard_threshold: f64,
    /// Post a JSON alert (Slack-compatible `text`) here when the guard halts a rollout.
    #[arg(long, value_name = "URL")]
    pub(crate) guard_webhook: Option<String>,
    /// Distinct network sources (/24, /48) whose failures a guard halt needs.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub(crate) guard_min_sources: usize,
    /// Clients, and failures, one network source can add to the guard's counts.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) guard_per_source: i64,
    /// Candidate failures (from --guard-min-sources sources) that halt whatever the rates.
    #[arg(long, default_value_t = 25, value_name = "N")]
    pub(crate) guard_absolute_failures: i64,
    /// A load balancer or proxy (ADDRESS or ADDRESS/BITS) whose X-Forwarded-For names the
    /// client; repeat for several. Without one, forwarding headers are ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub(crate) trusted_proxies: Vec<pinwarden_server::source::Cidr>,
    /// Seconds between full reloads of what is served, the fallback for a missed change
    /// notification between replicas.
    #[arg(long, default_value_t = 5, value_name = "SECONDS")]
    pub(crate) reconcile_interval: u64,
    /// Run the CT monitor on this Chrome v3 log list (file or URL); alerts appear on the CT page.
    #[arg(long, value_name = "FILE|URL")]
    pub(crate) ct_logs: Option<String>,
    /// CT watchlist file (default: every host the policy names).
    #[arg(long, value_name = "FILE", requires = "ct_logs")]
    pub(crate) ct_watchlist: Option<String>,
    /// Directory for the CT monitor's per-log state.
    #[arg(long, value_name = "DIR", default_value = "pinwarden-data/ct")]
    pub(crate) ct_state_dir: String,
    /// Seconds between CT rounds per log.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub(crate) ct_interval: u64,
    /// CT requests per second per log (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = 20.0)]
    pub(crate) ct_rps: f64,
    /// Don't check CAA for CT matches.
    #[arg(long)]
    pub(crate) ct_no_caa: bool,
    /// Nameserver for the CT monitor's CAA lookups (default: the system's).
    #[arg(long, value_name = "IP:PORT")]
    pub(crate) ct_dns_server: Option<std::net::SocketAddr>,
    /// Also post CT alerts (Slack-compatible `text`) to this URL.
    #[arg(long, value_name = "URL", requires = "ct_logs")]
    pub(crate) ct_webhook: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RunbookArgs {
    /// The policy file.
    #[arg(default_value = "pinwarden.toml", value_name = "POLICY")]
    pub(crate) policy: String,
    /// Only this application.
    #[arg(long, value_name = "ID")]
    pub(crate) app: Option<String>,
    /// Judge as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct AssessArgs {
    /// The policy file.
    #[arg(default_value = "pinwarden.toml", value_name = "POLICY")]
    pub(crate) policy: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AssessFormat::Text)]
    pub(crate) format: AssessFormat,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
    /// Judge as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// Ask about one application and the five questions, then give the verdict.
    #[arg(long)]
    pub(crate) interactive: bool,
    /// Print the rule trace of one application: every rule, its status and
    /// the facts it read (with --json, the trace of every application is in
    /// the output anyway).
    #[arg(long, value_name = "APP", conflicts_with = "interactive")]
    pub(crate) explain: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AssessFormat {
    /// For a terminal.
    Text,
    /// A Markdown report.
    Md,
    /// One self-contained HTML file with the radar as inline SVG.
    Html,
    /// Everything, as JSON.
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Endpoints to start from, HOST[:PORT].
    #[arg(required = true, value_name = "HOST[:PORT]")]
    pub(crate) hosts: Vec<String>,
    /// Write here instead of standard output (refuses to overwrite).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) output: Option<String>,
    #[command(flatten)]
    pub(crate) probe: ProbeFlags,
}

#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    /// leaf-rotation, intermediate-change, ca-migration, root-distrust or
    /// emergency-reissue.
    #[arg(value_enum, value_name = "KIND")]
    pub(crate) kind: SimulateKind,
    /// For root-distrust: the root, by a part of its name in the trust store.
    #[arg(value_name = "CA")]
    pub(crate) ca: Option<String>,
    /// For ca-migration: the new CA, by a part of its root's name in the trust store.
    #[arg(long, value_name = "CA", conflicts_with = "chain")]
    pub(crate) to: Option<String>,
    /// For ca-migration: a chain from the new CA (PEM, leaf first).
    #[arg(long, value_name = "FILE")]
    pub(crate) chain: Option<String>,
    /// The policy file.
    #[arg(long, default_value = "pinwarden.toml", value_name = "FILE")]
    pub(crate) policy: String,
    /// Today's chains as DIR/HOST.pem instead of connecting.
    #[arg(long, value_name = "DIR")]
    pub(crate) chains: Option<String>,
    #[command(flatten)]
    pub(crate) probe: ProbeFlags,
    /// Days of overlap planned on top of the update time, before old pins go.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub(crate) overlap_days: u32,
    /// Print the results as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SimulateKind {
    LeafRotation,
    IntermediateChange,
    CaMigration,
    RootDistrust,
    EmergencyReissue,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The policy file.
    #[arg(default_value = "pinwarden.toml", value_name = "POLICY")]
    pub(crate) policy: String,
    /// Read each host's chain from DIR/HOST.pem (as served, leaf first)
    /// instead of connecting.
    #[arg(long, value_name = "DIR")]
    pub(crate) chains: Option<String>,
    #[command(flatten)]
    pub(crate) probe: ProbeFlags,
    /// Print the results as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// The policy file.
    #[arg(default_value = "pinwarden.toml", value_name = "POLICY")]
    pub(crate) policy: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub(crate) format: LintFormat,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
    /// Exit 1 when a finding is at least this severe: info, warning or error.
    #[arg(long, default_value = "warning", value_name = "SEVERITY")]
    pub(crate) severity: String,
    /// Judge as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// Root certificates the rules may consult (expiry of pinned CAs,
    /// fingerprints pasted as pins): system, webpki (names and keys only),
    /// none, or a PEM file.
    #[arg(long, default_value = "system", value_name = "system|webpki|none|FILE")]
    pub(crate) roots: String,
    /// Chains the hosts serve, as DIR/HOST.pem (leaf first), for the rules
    /// that compare pins with today's chains.
    #[arg(long, value_name = "DIR")]
    pub(crate) chains: Option<String>,
    /// A private CA's roots and intermediates, in the built-in dataset's
    /// format (crates/core/data/cas.toml), added to it: the rules then know
    /// those keys' operator, level and validity by key.
    #[arg(long, value_name = "FILE")]
    pub(crate) private_cas: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LintFormat {
    /// Grouped by severity, for people.
    Text,
    /// Findings as JSON.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, Args)]
pub(crate) struct PinArgs {
    /// Files (PEM bundles, DER), `-` for stdin, or HOST[:PORT] (port 443 by default).
    #[arg(required = true, value_name = "FILE|HOST[:PORT]|-")]
    pub(crate) inputs: Vec<String>,
    /// Output format (table on a terminal unless told).
    #[arg(long, value_enum)]
    pub(crate) format: Option<PinFormat>,
    /// Same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
    /// Only certificates at this level.
    #[arg(long, value_enum, default_value_t = LevelFilter::All)]
    pub(crate) level: LevelFilter,
    /// Trust anchors for completing chains and for validation verdicts:
    /// `webpki` (Mozilla's, built in), `system`, `none`, or a PEM/DER file.
    #[arg(long, default_value = "webpki", value_name = "webpki|system|none|FILE")]
    pub(crate) roots: String,
    /// Server name to send (SNI) and validate, instead of the host's.
    #[arg(long, value_name = "NAME")]
    pub(crate) sni: Option<String>,
    /// Connect to this address instead of resolving the host (IP or IP:PORT).
    #[arg(long, value_name = "ADDR")]
    pub(crate) connect: Option<String>,
    /// Seconds allowed for connecting and handshaking, per host.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub(crate) timeout: f64,
    /// Hosts probed at once.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub(crate) concurrency: usize,
    /// The table with every detail: full subject, issuer and key. By
    /// default it fits 120 columns (subjects shortened with `…`).
    #[arg(long)]
    pub(crate) wide: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PinFormat {
    /// A table for people.
    Table,
    /// One `sha256/…` pin per line.
    Plain,
    /// `pin-sha256="…"` directives.
    Hpkp,
    /// OkHttp `"sha256/…",` lines with the subject as a comment.
    Okhttp,
    /// One curl `--pinnedpubkey` value per input.
    Curl,
    /// Everything, as JSON.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LevelFilter {
    Leaf,
    Intermediate,
    Root,
    All,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Target platform: android-nsc, ios-plist, trustkit, okhttp, curl, envoy,
    /// hpkp or json.
    #[arg(long = "to", value_name = "FORMAT", value_parser = parse_format)]
    pub(crate) to: pinwarden_core::export::Format,
    /// A pin set of the policy file, by id (instead of --host/--pin…).
    #[arg(long, value_name = "ID", conflicts_with_all = [
        "hosts", "pins", "backup_pins", "pins_from", "backup_pins_from", "pin_level", "expires",
        "include_subdomains", "report_uri", "id"
    ])]
    pub(crate) pinset: Option<String>,
    /// The policy file for --pinset.
    #[arg(long, value_name = "FILE", default_value = "pinwarden.toml")]
    pub(crate) policy: String,
    /// Host pattern: `api.example.com`, `*.example.com` (one label),
    /// `**.example.com` (any depth, and the domain itself). Repeatable.
    #[arg(long = "host", value_name = "PATTERN")]
    pub(crate) hosts: Vec<String>,
    /// A pin expected in today's chain (any notation). Repeatable.
    #[arg(long = "pin", value_name = "PIN")]
    pub(crate) pins: Vec<String>,
    /// A backup pin: a key held in reserve, not in today's chain. Repeatable.
    #[arg(long = "backup-pin", value_name = "PIN")]
    pub(crate) backup_pins: Vec<String>,
    /// Pin the keys of the certificates in FILE (a chain or bundle, PEM or
    /// DER; public keys and certificate requests too; `-` for stdin), each at
    /// its certificate's level, labelled with its name; a chain's root is
    /// completed from --roots. A pin whose certificates have all expired is
    /// warned about. Repeatable.
    #[arg(long = "pins-from", value_name = "FILE")]
    pub(crate) pins_from: Vec<String>,
    /// Like --pins-from, for backup pins: another CA's chain, or the request
    /// of a pre-generated key. Repeatable.
    #[arg(long = "backup-pins-from", value_name = "FILE")]
    pub(crate) backup_pins_from: Vec<String>,
    /// Which certificates of --pins-from / --backup-pins-from files are
    /// pinned (`ca`: intermediates and roots); public keys and requests are
    /// always taken.
    #[arg(long, value_enum, default_value_t = FromLevel::All, value_name = "LEVEL")]
    pub(crate) from_level: FromLevel,
    /// Trust anchors completing the chains of --pins-from files with their
    /// root: `webpki` (Mozilla's, built in), `system`, `none`, or a PEM/DER file.
    #[arg(long, default_value = "webpki", value_name = "webpki|system|none|FILE")]
    pub(crate) roots: String,
    /// Level of the keys given as pins (--pin, --backup-pin, and public keys
    /// or requests in --pins-from files; a certificate's key takes the
    /// certificate's level); curl and Envoy match leaf keys only (CA keys
    /// are refused), and iOS lists leaf and CA keys separately. Unset means
    /// unknown: keys the CA dataset knows are CA keys, others are listed as
    /// CA keys with a warning.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub(crate) pin_level: Option<PinLevelArg>,
    /// Stop enforcing after this date (YYYY-MM-DD), where the platform can.
    /// A date before today is refused.
    #[arg(long, value_name = "DATE")]
    pub(crate) expires: Option<String>,
    /// Judge expiry as of this date (YYYY-MM-DD) instead of today.
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// DANGER: export an enforcing set with a single pin. Without a backup,
    /// the first key rotation or CA change locks every client out.
    #[arg(long)]
    pub(crate) danger_single_pin: bool,
    /// Exact host patterns also cover every name below them.
    #[arg(long)]
    pub(crate) include_subdomains: bool,
    /// Reject connections whose chain matches no pin (the default, except for hpkp).
    #[arg(long, conflicts_with = "report_only")]
    pub(crate) enforce: bool,
    /// Only report mismatches (TrustKit, HPKP, JSON).
    #[arg(long)]
    pub(crate) report_only: bool,
    /// Where clients send pin-failure reports.
    #[arg(long, value_name = "URI")]
    pub(crate) report_uri: Option<String>,
    /// Identifier of the pin set.
    #[arg(long, default_value = "adhoc")]
    pub(crate) id: String,
    /// HPKP max-age in seconds.
    #[arg(long, default_value_t = 5_184_000, value_name = "SECS")]
    pub(crate) max_age: u64,
    /// Print `{format, content, warnings}` as JSON instead of the config.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which certificates of a `--pins-from` file are pinned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FromLevel {
    Leaf,
    Intermediate,
    Root,
    /// Intermediates and roots.
    Ca,
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PinLevelArg {
    Leaf,
    Intermediate,
    Root,
}

fn parse_format(s: &str) -> Result<pinwarden_core::export::Format, String> {
    s.parse()
}

/// How check, simulate and init reach a policy's hosts.
#[derive(Debug, Args)]
pub(crate) struct ProbeFlags {
    /// Connect to ADDR for HOST:PORT, like curl's --resolve. Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub(crate) resolve: Vec<String>,
    /// Trust anchors for completing chains: webpki, system, none, or a file.
    #[arg(long, default_value = "webpki", value_name = "webpki|system|none|FILE")]
    pub(crate) roots: String,
    /// Seconds allowed per host.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub(crate) timeout: f64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_flags_are_consistent() {
        use clap::CommandFactory as _;
        super::Cli::command().debug_assert();
    }
}
