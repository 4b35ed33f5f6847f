//! The OpenAPI 3.1 document of the API, served at /api/openapi.json.

use serde_json::{Value, json};

/// The document.
pub(crate) async fn serve() -> axum::Json<Value> {
    axum::Json(document())
}

/// A JSON answer with a schema.
fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// A problem+json answer (RFC 9457).
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// A pin-failure report as the parser takes it (`core::report`): RFC 7469
/// section 3, TrustKit iOS and Android, pinwarden-rustls. Exactly what the
/// parser refuses, the schema refuses: optional fields may be `null`,
/// integers may come as decimal strings (TrustKit-Android has sent them so),
/// unknown fields are ignored. `pem-certificate` is one PEM CERTIFICATE
/// block holding an X.509 certificate.
fn pin_report_schema() -> Value {
    let text = |max: u32| json!({ "type": ["string", "null"], "maxLength": max });
    let int = |pattern: &str, min: i64, max: i64| {
        json!({ "oneOf": [
            { "type": "integer", "minimum": min, "maximum": max },
            { "type": "string", "pattern": pattern },
            { "type": "null" }
        ] })
    };
    let chain = json!({
        "type": ["array", "null"],
        "maxItems": pinwarden_core::report::MAX_CHAIN,
        "items": { "type": "string", "format": "pem-certificate" }
    });
    json!({
        "type": "object",
        "required": ["hostname"],
        "anyOf": [
            { "required": ["validated-certificate-chain"], "properties": { "validated-certificate-chain": { "type": "array", "minItems": 1 } } },
            { "required": ["served-certificate-chain"], "properties": { "served-certificate-chain": { "type": "array", "minItems": 1 } } }
        ],
        "properties": {
            "hostname": {
                "type": "string",
                "maxLength": 253,
                "pattern": "^(?:[A-Za-z0-9_-]{1,63}\\.)*[A-Za-z0-9_-]{1,63}\\.?$"
            },
            "port": int("^(?:0|[1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$", 0, 65535),
            "noted-hostname": text(253),
            "date-time": { "oneOf": [{ "type": "string", "format": "date-time" }, { "type": "null" }], "description": "RFC 3339; TrustKit-Android's local time with a literal Z is read in an unknown zone" },
            "include-subdomains": { "type": ["boolean", "null"] },
            "enforce-pinning": { "type": ["boolean", "null"] },
            "app-bundle-id": text(256),
            "app-version": text(64),
            "app-platform": text(64),
            "validation-result": int("^-?[0-9]{1,15}$", -pinwarden_core::report::MAX_SAFE_INTEGER, pinwarden_core::report::MAX_SAFE_INTEGER),
            "pinwarden-manifest-version": int("^[0-9]{1,15}$", 0, pinwarden_core::report::MAX_SAFE_INTEGER),
            "pinwarden-cohort": int("^[0-9]$|^[1-9][0-9]$", 0, 99),
            "validated-certificate-chain": chain,
            "served-certificate-chain": chain,
            "known-pins": {
                "type": ["array", "null"],
                "maxItems": pinwarden_core::report::MAX_PINS,
                "items": { "type": "string", "pattern": "^pin-sha256=\"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\"$" }
            }
        }
    })
}

/// What `POST /v1/reports[/{app}]` answers.
fn report_responses() -> Value {
    json!({
        "202": ok("Stored (or counted as a duplicate), with its class", json!({ "$ref": "#/components/schemas/Accepted" })),
        "400": problem("Not a valid report or app name; the detail names the field"),
        "413": problem("Larger than 64 KiB"),
        "429": problem("Too many reports from this network for this app, or for all apps and hosts, or too many new distinct failures from it (Retry-After)"),
        "503": problem("Telemetry is off, the queue is full, the server's cap of new distinct failures per minute is spent, or the store failed (Retry-After)")
    })
}

/// The filters of the report aggregates and samples.
fn report_filters(limit: bool) -> Value {
    let mut filters = vec![
        json!({ "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 365 } }),
        json!({ "name": "app", "in": "query", "schema": { "type": "string" } }),
        json!({ "name": "host", "in": "query", "schema": { "type": "string" } }),
        json!({ "name": "class", "in": "query", "schema": { "$ref": "#/components/schemas/FailureClass" } }),
    ];
    if limit {
        filters.push(json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } }));
    }
    Value::Array(filters)
}

/// The document.
fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pinwarden",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Decide where TLS public-key pinning is worth it, from an organisation's pinwarden.toml."
        },
        "paths": paths(),
        "components": components(),
    })
}

/// Every endpoint and every answer it gives.
fn paths() -> Value {
    json!({
        "/api/v1/assess": {
            "get": {
                "summary": "Assess the server's policy",
                "responses": { "200": ok("The report", json!({ "$ref": "#/components/schemas/Report" })) }
            },
            "post": {
                "summary": "Assess a policy, with radar scores overridden",
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AssessRequest" } } }
                },
                "responses": {
                    "200": ok("The report (with radar_svg when asked)", json!({ "$ref": "#/components/schemas/Report" })),
                    "400": problem("The body is not a request"),
                    "422": problem("The policy or an override is invalid")
                }
            }
        },
        "/v1/manifests/{app}": {
            "parameters": [{ "$ref": "#/components/parameters/App" }],
            "get": {
                "summary": "The app's current signed manifest (a DSSE envelope), for clients",
                "description": "Served byte for byte as uploaded. The pinwarden-rollout-percentage header, present when the manifest has candidate pin sets, is the share of installations (cohort < percentage) that use them now; clients use the lower of it and the signed percentage.",
                "parameters": [{ "name": "If-None-Match", "in": "header", "schema": { "type": "string" } }],
                "responses": {
                    "200": {
                        "description": "The envelope",
                        "headers": {
                            "ETag": { "schema": { "type": "string" } },
                            "Cache-Control": { "schema": { "type": "string" } },
                            "pinwarden-rollout-percentage": { "schema": { "type": "integer", "minimum": 0, "maximum": 100 } }
                        },
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } }
                    },
                    "304": { "description": "Not modified since the ETag given" },
                    "400": problem("Not an app name"),
                    "404": problem("No manifest for the app"),
                    "503": problem("The database failed")
                }
            }
        },
        "/v1/admin/manifests/{app}": {
            "parameters": [{ "$ref": "#/components/parameters/App" }],
            "get": {
                "summary": "Every stored version of the app's manifest, newest first",
                "security": [{ "bearer": [] }],
                "responses": {
                    "200": ok("Versions", json!({ "type": "array", "items": { "$ref": "#/components/schemas/StoredManifest" } })),
                    "400": problem("Not an app name"),
                    "401": { "$ref": "#/components/responses/Unauthorized" },
                    "403": { "$ref": "#/components/responses/AdminOff" },
                    "503": problem("The database failed")
                }
            },
            "put": {
                "summary": "Upload a signed manifest: verified against the server's trusted keys, refused when expired, rolled back or equivocating",
                "security": [{ "bearer": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } } },
                "responses": {
                    "200": ok("Exactly this manifest was already stored", json!({ "$ref": "#/components/schemas/Uploaded" })),
                    "201": ok("Stored and served", json!({ "$ref": "#/components/schemas/Uploaded" })),
                    "400": problem("Not an app name"),
                    "401": { "$ref": "#/components/responses/Unauthorized" },
                    "403": { "$ref": "#/components/responses/AdminOff" },
                    "409": problem("Rollback or equivocation"),
                    "413": problem("Larger than an envelope may be (1 MiB)"),
                    "422": problem("Not an envelope, not signed by enough trusted keys, not a manifest for this app, or expired"),
                    "503": problem("The database failed")
                }
            }
        },
        "/v1/admin/rollouts/{app}": {
            "parameters": [{ "$ref": "#/components/parameters/App" }],
            "get": {
                "summary": "The rollout of the app's candidate pin sets and its events, newest first",
                "security": [{ "bearer": [] }],
                "responses": {
                    "200": ok("State and events", json!({
                        "type": "object", "required": ["rollout", "events"],
                        "properties": {
                            "rollout": { "oneOf": [{ "$ref": "#/components/schemas/RolloutState" }, { "type": "null" }] },
                            "events": { "type": "array", "items": { "$ref": "#/components/schemas/RolloutEvent" } }
                        }
                    })),
                    "400": problem("Not an app name"),
                    "401": { "$ref": "#/components/responses/Unauthorized" },
                    "403": { "$ref": "#/components/responses/AdminOff" },
                    "503": problem("The database failed")
                }
            },
            "post": {
                "summary": "Start, advance or halt the rollout (never above the signed percentage)",
                "security": [{ "bearer": [] }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "additionalProperties": false, "required": ["action"],
                    "properties": {
                        "action": { "enum": ["start", "advance", "halt"] },
                        "percentage": { "type": ["integer", "null"], "minimum": 0, "maximum": 100 },
                        "reason": { "type": "string", "maxLength": 500 }
                    }
                } } } },
                "responses": {
                    "200": ok("The new state", json!({ "$ref": "#/components/schemas/RolloutState" })),
                    "400": problem("Not an app name, or the body is not a request"),
                    "401": { "$ref": "#/components/responses/Unauthorized" },
                    "403": { "$ref": "#/components/responses/AdminOff" },
                    "404": problem("No manifest for the app"),
                    "409": problem("Not possible in the rollout's state"),
                    "422": problem("A bad action or percentage"),
                    "503": problem("The database failed")
                }
            }
        },
        "/v1/reports": {
            "post": {
                "summary": "A pin-failure report: RFC 7469 section 3, TrustKit (iOS, Android) or pinwarden-rustls JSON",
                "description": "Answered 202 only once the report is committed to the store. At most 64 KiB; rate-limited per source and app.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PinReport" } } } },
                "responses": report_responses()
            }
        },
        "/v1/reports/{app}": {
            "parameters": [{ "$ref": "#/components/parameters/App" }],
            "post": {
                "summary": "A pin-failure report for an app (the path names the app)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PinReport" } } } },
                "responses": report_responses()
            }
        },
        "/api/v1/reports/summary": {
            "get": {
                "summary": "Failures per day and by host, app, app version, manifest version, cohort and class",
                "parameters": report_filters(false),
                "responses": {
                    "200": ok("The aggregates", json!({ "$ref": "#/components/schemas/Summary" })),
                    "400": problem("A query parameter outside its schema"),
                    "503": problem("The database failed")
                }
            }
        },
        "/api/v1/reports": {
            "get": {
                "summary": "The newest reports, with their chains",
                "parameters": report_filters(true),
                "responses": {
                    "200": ok("Reports, newest first", json!({ "type": "array", "items": { "$ref": "#/components/schemas/StoredReport" } })),
                    "400": problem("A query parameter outside its schema"),
                    "503": problem("The database failed")
                }
            }
        },
        "/api/v1/ct/alerts": {
            "get": {
                "summary": "CT monitor alerts (verified matches with their pin-aware verdicts), newest first",
                "parameters": [
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
                ],
                "responses": {
                    "200": ok("Whether a monitor runs, and the alerts", json!({
                        "type": "object", "required": ["monitoring", "alerts"],
                        "properties": {
                            "monitoring": { "type": "boolean" },
                            "alerts": { "type": "array", "items": { "type": "object" } }
                        }
                    })),
                    "400": problem("A query parameter outside its schema"),
                    "503": problem("The database failed")
                }
            }
        },
        "/api/v1/ct/coverage": {
            "get": {
                "summary": "Per CT log: verified size, newest tree head and its age, unverified ranges, last error",
                "responses": {
                    "200": ok("Whether a monitor runs, and each log's coverage", json!({
                        "type": "object", "required": ["monitoring", "logs"],
                        "properties": {
                            "monitoring": { "type": "boolean" },
                            "logs": { "type": "array", "items": { "$ref": "#/components/schemas/Coverage" } }
                        }
                    }))
                }
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: reports accepted, rejected (by reason) and deduplicated, queue depth, store latency",
                "responses": {
                    "200": { "description": "Prometheus text format 0.0.4", "content": { "text/plain": { "schema": { "type": "string" } } } },
                    "503": problem("Another metrics recorder owns this process")
                }
            }
        },
        "/api/v1/scenarios": {
            "get": {
                "summary": "Saved what-if scenarios, by name",
                "responses": {
                    "200": ok("Every scenario", json!({ "type": "array", "items": { "$ref": "#/components/schemas/Scenario" } })),
                    "503": problem("The database failed")
                }
            }
        },
        "/api/v1/scenarios/{name}": {
            "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 64 } }],
            "get": {
                "summary": "One scenario",
                "responses": {
                    "200": ok("The scenario", json!({ "$ref": "#/components/schemas/Scenario" })),
                    "404": problem("No scenario of that name"),
                    "503": problem("The database failed")
                }
            },
            "put": {
                "summary": "Save scores under a name, replacing any scenario of that name",
                "requestBody": {
                    "required": true,
                    "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["radar"], "properties": { "radar": { "$ref": "#/components/schemas/RadarOverrides" } } } } }
                },
                "responses": {
                    "200": ok("Saved", json!({ "$ref": "#/components/schemas/Scenario" })),
                    "400": problem("The body is not a request"),
                    "422": problem("A bad name, dimension or score"),
                    "503": problem("The database failed")
                }
            },
            "delete": {
                "summary": "Delete a scenario",
                "responses": {
                    "204": { "description": "Deleted" },
                    "404": problem("No scenario of that name"),
                    "503": problem("The database failed")
                }
            }
        }
    })
}

/// The schemas, parameters and answers the paths refer to.
fn components() -> Value {
    json!({
        "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        "parameters": {
            "App": { "name": "app", "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$" } }
        },
        "responses": {
            "Unauthorized": { "description": "No or a wrong bearer token", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
            "AdminOff": { "description": "The server runs without an admin token", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
        },
        "schemas": {
            "FailureClass": { "enum": ["rotation-drift", "possible-interception", "clock-skew", "expired-pin-set", "misconfiguration"] },
            "Accepted": {
                "type": "object",
                "required": ["class", "reason", "duplicate", "platform", "notes"],
                "properties": {
                    "class": { "$ref": "#/components/schemas/FailureClass" },
                    "reason": { "type": "string" },
                    "duplicate": { "type": "boolean" },
                    "platform": { "$ref": "#/components/schemas/Platform" },
                    "notes": { "type": "array", "items": { "$ref": "#/components/schemas/Note" } }
                }
            },
            "Platform": { "enum": ["ios", "macos", "tvos", "watchos", "android", "rust", "unknown"] },
            "Note": {
                "type": "object",
                "description": "What was done with one of a real client's quirks (port 0, a local time with a literal Z, ...)",
                "required": ["field", "quirk", "detail"],
                "properties": {
                    "field": { "type": "string" },
                    "quirk": { "enum": ["port-unknown", "port-https", "zone-unknown", "locale-digits", "platform-unknown"] },
                    "detail": { "type": "string" }
                }
            },
            "PinReport": pin_report_schema(),
            "StoredReport": {
                "type": "object",
                "required": ["id", "received_at", "last_seen", "count", "host", "port", "format", "platform", "class", "reason", "chain", "known_pins", "notes"],
                "properties": {
                    "id": { "type": "integer" },
                    "received_at": { "type": "integer", "description": "Unix seconds" },
                    "last_seen": { "type": "integer", "description": "Unix seconds" },
                    "count": { "type": "integer", "minimum": 1 },
                    "app": { "type": ["string", "null"] },
                    "host": { "type": "string" },
                    "port": { "type": ["integer", "null"], "description": "null when the client didn't know it" },
                    "format": { "enum": ["rfc7469", "trustkit-ios", "trustkit-android", "pinwarden"] },
                    "app_version": { "type": ["string", "null"] },
                    "platform": { "$ref": "#/components/schemas/Platform" },
                    "manifest_version": { "type": ["integer", "null"] },
                    "cohort": { "type": ["integer", "null"] },
                    "class": { "$ref": "#/components/schemas/FailureClass" },
                    "reason": { "type": "string" },
                    "chain": { "type": "array", "items": { "type": "object" } },
                    "known_pins": { "type": "array", "items": { "type": "string" } },
                    "notes": { "type": "array", "items": { "$ref": "#/components/schemas/Note" } }
                }
            },
            "Envelope": {
                "type": "object",
                "required": ["payload", "payloadType", "signatures"],
                "properties": {
                    "payload": { "type": "string", "description": "base64 of the manifest JSON" },
                    "payloadType": { "const": "application/vnd.pinwarden.manifest+json" },
                    "signatures": { "type": "array", "minItems": 1, "maxItems": 32, "items": { "type": "object", "required": ["sig"], "properties": { "keyid": { "type": "string", "description": "A hint only (DSSE): without it every trusted key is tried" }, "sig": { "type": "string" } } } }
                }
            },
            "AssessRequest": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "policy": { "type": "string", "description": "pinwarden.toml text; the server's policy when absent" },
                    "radar": { "$ref": "#/components/schemas/RadarOverrides" },
                    "svg": { "type": "boolean", "description": "Add the radar drawn as SVG to the answer, as radar_svg" }
                }
            },
            "RadarOverrides": {
                "type": "object",
                "description": "Scores (0-100) that replace the facts' for these dimensions",
                "propertyNames": { "enum": ["lifecycle-automation", "pin-update-speed", "ca-agility", "telemetry", "ownership-runbooks", "ct-caa", "lifetime-hygiene", "private-pki", "ota-updates"] },
                "additionalProperties": { "type": "integer", "minimum": 0, "maximum": 100 }
            },
            "ScenarioName": {
                "type": "string",
                "description": "1 to 64 characters, no control characters",
                "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]{1,64}$"
            },
            "Scenario": {
                "type": "object",
                "required": ["name", "radar", "saved_at"],
                "properties": {
                    "name": { "$ref": "#/components/schemas/ScenarioName" },
                    "radar": { "$ref": "#/components/schemas/RadarOverrides" },
                    "saved_at": { "type": "integer", "description": "Unix seconds" }
                }
            },
            "Gate": {
                "type": "object",
                "required": ["dimension", "minimum", "score", "state", "closed", "effect", "rule", "finding"],
                "properties": {
                    "dimension": { "type": "string" },
                    "minimum": { "type": "integer" },
                    "score": { "type": "integer" },
                    "state": { "enum": ["passed", "closed", "unknown"] },
                    "closed": { "type": "boolean", "description": "Whether it holds pins back (closed or unknown)" },
                    "effect": { "$ref": "#/components/schemas/Verdict" },
                    "rule": { "type": "string", "description": "The id of the decision rule it follows" },
                    "finding": { "type": "string" }
                }
            },
            "Verdict": { "enum": ["pin", "pin-with-conditions", "dont-pin", "not-ready"] },
            "Step": {
                "type": "object",
                "required": ["rule", "section", "asks", "reads", "status", "facts", "decided"],
                "properties": {
                    "rule": { "type": "string" },
                    "section": { "type": "string" },
                    "asks": { "type": "string" },
                    "reads": { "type": "array", "items": { "type": "string" } },
                    "status": { "enum": ["met", "not-met", "not-stated", "not-applicable"] },
                    "facts": { "type": "string" },
                    "cap": { "oneOf": [{ "$ref": "#/components/schemas/Verdict" }, { "type": "null" }] },
                    "then": { "type": ["string", "null"] },
                    "decided": { "type": "boolean" }
                }
            },
            "Decision": {
                "type": "object",
                "required": ["application", "app_type", "verdict", "reasons", "rules", "trace", "conditions", "instead"],
                "properties": {
                    "application": { "type": "string" },
                    "app_type": { "enum": ["mobile", "web", "service", "iot", "third-party", "desktop"] },
                    "verdict": { "$ref": "#/components/schemas/Verdict" },
                    "level": { "enum": ["ca", "private-root", "partner-published", null] },
                    "backup": { "type": ["string", "null"] },
                    "reasons": { "type": "array", "items": { "type": "string" } },
                    "conditions": { "type": "array", "items": { "type": "string" } },
                    "instead": { "type": "array", "items": { "type": "string" } },
                    "rules": { "type": "array", "items": { "type": "string" } },
                    "trace": { "type": "array", "items": { "$ref": "#/components/schemas/Step" } }
                }
            },
            "Organisation": {
                "type": "object",
                "required": ["readiness", "summary", "why", "pin", "pin_with_conditions", "not_ready", "dont_pin", "first_steps", "alternatives"],
                "properties": {
                    "readiness": { "enum": ["ready", "not-ready", "undetermined"] },
                    "summary": { "type": "string" },
                    "why": { "type": "array", "items": { "type": "string" } },
                    "pin": { "type": "array", "items": { "type": "string" } },
                    "pin_with_conditions": { "type": "array", "items": { "type": "string" } },
                    "not_ready": { "type": "array", "items": { "type": "string" } },
                    "dont_pin": { "type": "array", "items": { "type": "string" } },
                    "first_steps": { "type": "array", "items": { "type": "string" } },
                    "alternatives": { "type": "array", "items": { "type": "string" } }
                }
            },
            "Report": {
                "type": "object",
                "required": ["organisation", "overall", "radar", "gates", "decisions", "questions", "cost"],
                "properties": {
                    "organisation": { "$ref": "#/components/schemas/Organisation" },
                    "overall": { "type": "integer", "minimum": 0, "maximum": 100 },
                    "radar": { "type": "object" },
                    "gates": { "type": "array", "items": { "$ref": "#/components/schemas/Gate" } },
                    "radar_svg": { "type": "string", "description": "Only when the request asked for svg" },
                    "decisions": { "type": "array", "items": { "$ref": "#/components/schemas/Decision" } },
                    "questions": { "type": "array" },
                    "cost": { "type": "object" }
                }
            },
            "Problem": {
                "type": "object",
                "required": ["status", "detail"],
                "properties": { "status": { "type": "integer" }, "detail": { "type": "string" } }
            },
            "StoredManifest": {
                "type": "object",
                "required": ["app", "version", "issued_at", "expires_at", "uploaded_at"],
                "properties": {
                    "app": { "type": "string" },
                    "version": { "type": "integer" },
                    "issued_at": { "type": "integer", "description": "Unix seconds" },
                    "expires_at": { "type": "integer", "description": "Unix seconds" },
                    "ceiling": { "type": ["integer", "null"], "description": "The signed rollout percentage of its candidate pin sets" },
                    "uploaded_at": { "type": "integer", "description": "Unix seconds" }
                }
            },
            "Uploaded": {
                "type": "object",
                "required": ["app", "version", "new"],
                "properties": {
                    "app": { "type": "string" },
                    "version": { "type": ["integer", "null"], "description": "The version now served" },
                    "new": { "type": "boolean" }
                }
            },
            "RolloutState": {
                "type": "object",
                "required": ["app", "version", "percentage", "state", "updated_at", "revision"],
                "properties": {
                    "app": { "type": "string" },
                    "version": { "type": "integer" },
                    "percentage": { "type": "integer", "minimum": 0, "maximum": 100 },
                    "state": { "enum": ["active", "halted", "complete"] },
                    "updated_at": { "type": "integer" },
                    "revision": { "type": "integer", "minimum": 1, "description": "Bumped by every change; changes are compare-and-set on it" }
                }
            },
            "RolloutEvent": {
                "type": "object",
                "required": ["at", "version", "action", "percentage", "reason"],
                "properties": {
                    "at": { "type": "integer" },
                    "version": { "type": "integer" },
                    "action": { "type": "string" },
                    "percentage": { "type": "integer" },
                    "reason": { "type": "string" }
                }
            },
            "Count": {
                "type": "object",
                "required": ["key", "failures"],
                "properties": { "key": { "type": ["string", "null"] }, "failures": { "type": "integer" } }
            },
            "Summary": {
                "type": "object",
                "required": ["total", "by_day", "by_host", "by_app", "by_app_version", "by_manifest_version", "by_cohort", "by_class"],
                "properties": {
                    "total": { "type": "integer" },
                    "by_day": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_host": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_app": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_app_version": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_manifest_version": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_cohort": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } },
                    "by_class": { "type": "array", "items": { "$ref": "#/components/schemas/Count" } }
                }
            },
            "Coverage": {
                "type": "object",
                "required": ["log", "url", "log_id", "verified_size", "position", "gaps", "malformed", "pending_alerts", "undelivered_alerts"],
                "properties": {
                    "log": { "type": "string" },
                    "url": { "type": "string" },
                    "log_id": { "type": "string" },
                    "verified_size": { "type": "integer", "minimum": 0 },
                    "position": { "type": "integer", "minimum": 0 },
                    "sth_size": { "type": ["integer", "null"] },
                    "sth_age_seconds": { "type": ["integer", "null"] },
                    "gaps": { "type": "array", "items": { "type": "array", "items": { "type": "integer" } } },
                    "malformed": { "type": "integer" },
                    "pending_alerts": { "type": "integer" },
                    "undelivered_alerts": { "type": "integer" },
                    "last_error": { "type": ["string", "null"] }
                }
            }
        }
    })
}
