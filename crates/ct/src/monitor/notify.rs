//! Where alerts go: stdout, a JSON-lines file, a hook script with
//! certspotter's environment, a webhook, or anything implementing [`Sink`]
//! (the server stores them). The monitor delivers each verified alert to
//! each sink once; it records per sink what was delivered, and the JSON
//! lines file also skips ids it already holds, so a crash between writing
//! a line and saving the state doesn't write the line twice.

use std::collections::HashSet;
use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use crate::monitor::alert::Alert;

/// A boxed future, as sinks return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A destination for alerts.
pub trait Sink: Send + Sync {
    /// A stable name, recorded in the state once an alert is delivered.
    fn name(&self) -> String;
    /// Delivers one alert; an error leaves it to be retried next round.
    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>>;
}

/// Prints each alert: a summary line, then its findings.
#[derive(Debug, Default)]
pub struct Stdout;

impl Sink for Stdout {
    fn name(&self) -> String {
        "stdout".to_owned()
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut out = std::io::stdout().lock();
            let mut text = format!(
                "{}: {}\n  log {} entry {} ({}), watch item {}\n  names: {}\n  issuer: {}\n  pubkey sha256 {}  tbs sha256 {}\n",
                alert.verdict.as_str(),
                alert.summary(),
                alert.log_uri,
                alert.entry_index,
                alert.entry_type.as_str(),
                alert.watch_item,
                alert.names.join(", "),
                alert.issuer_ca.as_deref().unwrap_or(&alert.issuer_dn),
                alert.pubkey_sha256,
                alert.tbs_sha256,
            );
            for f in &alert.findings {
                text.push_str(&format!("  - {}\n", f.detail));
            }
            out.write_all(text.as_bytes()).map_err(|e| e.to_string())
        })
    }
}

/// Appends one JSON object per line, fsynced.
#[derive(Debug)]
pub struct JsonLines {
    path: PathBuf,
    written: Mutex<HashSet<String>>,
}

impl JsonLines {
    /// Opens (creating) the file and reads the ids it already holds.
    pub fn open(path: PathBuf) -> Result<Self, String> {
        let mut written = HashSet::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for (n, line) in text.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                        format!("{}: line {}: not JSON: {e}", path.display(), n + 1)
                    })?;
                    if let Some(id) = value.get("id").and_then(|v| v.as_str()) {
                        written.insert(id.to_owned());
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        Ok(Self {
            path,
            written: Mutex::new(written),
        })
    }
}

impl Sink for JsonLines {
    fn name(&self) -> String {
        format!("jsonl:{}", self.path.display())
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut written = self.written.lock().map_err(|e| e.to_string())?;
            if written.contains(&alert.id) {
                return Ok(());
            }
            let mut line = serde_json::to_vec(alert).map_err(|e| e.to_string())?;
            line.push(b'\n');
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| format!("{}: {e}", self.path.display()))?;
            f.write_all(&line)
                .and_then(|()| f.sync_data())
                .map_err(|e| format!("{}: {e}", self.path.display()))?;
            written.insert(alert.id.clone());
            Ok(())
        })
    }
}

/// Runs a program with certspotter's hook environment (see
/// [`Alert::hook_env`]); a non-zero exit is a failed delivery.
#[derive(Debug)]
pub struct Hook {
    program: PathBuf,
}

impl Hook {
    /// A hook running `program`.
    pub fn new(program: PathBuf) -> Self {
        Self { program }
    }
}

impl Sink for Hook {
    fn name(&self) -> String {
        format!("hook:{}", self.program.display())
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let mut command = tokio::process::Command::new(&self.program);
            command.envs(alert.hook_env()).kill_on_drop(true);
            let status = tokio::time::timeout(Duration::from_secs(60), command.status())
                .await
                .map_err(|_| format!("{}: still running after 60 s", self.program.display()))?
                .map_err(|e| format!("{}: {e}", self.program.display()))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("{}: exited with {status}", self.program.display()))
            }
        })
    }
}

/// POSTs `{"text": summary, "alert": {...}}` (Slack-compatible `text`).
#[derive(Debug)]
pub struct Webhook {
    url: String,
    http: reqwest::Client,
}

impl Webhook {
    /// A webhook posting with `http`.
    pub fn new(url: String, http: reqwest::Client) -> Self {
        Self { url, http }
    }
}

impl Sink for Webhook {
    fn name(&self) -> String {
        format!("webhook:{}", host_and_port(&self.url))
    }

    fn deliver<'a>(&'a self, alert: &'a Alert) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "text": format!("pinwarden CT: {}", alert.summary()),
                "alert": alert,
            });
            let response = self
                .http
                .post(&self.url)
                .header("content-type", "application/json")
                .body(body.to_string())
                .timeout(Duration::from_secs(30))
                .send()
                .await
                .map_err(|e| format!("webhook: {}", e.without_url()))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(format!("webhook: HTTP {}", response.status()))
            }
        })
    }
}

/// A webhook URL's `host[:port]`: the URL may carry a secret (Slack's path
/// does, a userinfo password would), so it is named by these only, parsed
/// so that `user:pass@` is never taken for the host (issue 15). The name
/// keys deliveries in the CT state, so it keeps the form it had.
fn host_and_port(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::host_and_port;

    #[test]
    fn a_webhook_is_named_without_its_secrets() {
        assert_eq!(
            host_and_port("https://hooks.slack.com/services/T0/B0/secret"),
            "hooks.slack.com"
        );
        assert_eq!(
            host_and_port("http://ops:hunter2@127.0.0.1:8080/hook?token=x"),
            "127.0.0.1:8080"
        );
        assert_eq!(host_and_port("http://[::1]:9/h"), "[::1]:9");
        assert_eq!(host_and_port("not a url hunter2"), "?");
    }
}
