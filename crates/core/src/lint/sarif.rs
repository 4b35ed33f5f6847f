//! Findings as SARIF 2.1.0, the format GitHub code scanning accepts.

use std::path::Path;

use serde_json::{Value, json};
use url::Url;

use super::{Finding, Severity, rules};

/// Where the policy file is, as SARIF wants it: `artifactLocation.uri` is a
/// URI reference (RFC 3986), so an absolute path becomes a `file:` URI and a
/// relative one a percent-encoded reference against `%SRCROOT%`, the
/// directory it was given from (SARIF 2.1.0 §3.4.4, §3.14.14).
struct Artifact {
    location: Value,
    base: Option<Value>,
}

fn artifact(path: &Path, cwd: &Path) -> Artifact {
    let file = |p: &Path| Url::from_file_path(p).ok();
    let root = Url::from_directory_path(cwd).ok();
    match (path.is_absolute(), file(&cwd.join(path)), root) {
        (false, Some(full), Some(root)) => {
            let relative = root
                .make_relative(&full)
                .unwrap_or_else(|| full.to_string());
            Artifact {
                location: json!({ "uri": relative, "uriBaseId": "%SRCROOT%" }),
                base: Some(json!({ "%SRCROOT%": { "uri": root.as_str() } })),
            }
        }
        (_, Some(full), _) => Artifact {
            location: json!({ "uri": full.as_str() }),
            base: None,
        },
        // Not a path a file URI can name (cwd not absolute): say it as given.
        _ => Artifact {
            location: json!({ "uri": path.to_string_lossy() }),
            base: None,
        },
    }
}

/// A SARIF log of `findings` for the policy file at `path` (relative to
/// `cwd`, the directory the command ran in); `locate` turns a byte offset
/// into (line, column). Findings without a place point at line 1, since code
/// scanning wants a location on every result.
pub fn sarif(
    findings: &[Finding],
    path: &Path,
    cwd: &Path,
    locate: impl Fn(usize) -> (usize, usize),
) -> Value {
    let artifact = artifact(path, cwd);
    let all: Vec<_> = rules().collect();
    let rules_json: Vec<Value> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.explanation },
                "help": { "text": r.fix },
                "defaultConfiguration": { "level": level(r.severity) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let (line, column) = f.span.as_ref().map_or((1, 1), |s| locate(s.start));
            json!({
                "ruleId": f.rule,
                "ruleIndex": all.iter().position(|r| r.id == f.rule),
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact.location,
                        "region": { "startLine": line, "startColumn": column },
                    }
                }],
            })
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "pinwarden",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules_json,
            }
        },
        "results": results,
    });
    if let Some(base) = artifact.base {
        run["originalUriBaseIds"] = base;
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
