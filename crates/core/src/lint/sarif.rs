//! Findings as SARIF 2.1.0, the format GitHub code scanning accepts.

use serde_json::{Value, json};

use super::{Finding, Severity, rules};

/// A SARIF log of `findings` for the policy file at `uri`; `locate` turns a
/// byte offset into (line, column). Findings without a place point at line 1,
/// since code scanning wants a location on every result.
pub fn sarif(findings: &[Finding], uri: &str, locate: impl Fn(usize) -> (usize, usize)) -> Value {
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
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": line, "startColumn": column },
                    }
                }],
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pinwarden",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules_json,
                }
            },
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}
