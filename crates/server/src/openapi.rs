//! The OpenAPI 3.1 document of the API, served at /api/openapi.json.

use serde_json::{Value, json};

/// The document.
pub(crate) async fn serve() -> axum::Json<Value> {
    axum::Json(document())
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
        "paths": {
            "/api/v1/assess": {
                "get": {
                    "summary": "Assess the server's policy",
                    "responses": { "200": { "description": "The report", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Report" } } } } }
                },
                "post": {
                    "summary": "Assess a policy, with radar scores overridden",
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AssessRequest" } } }
                    },
                    "responses": {
                        "200": { "description": "The report", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Report" } } } },
                        "400": { "description": "The body is not a request", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "422": { "description": "The policy or an override is invalid", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
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
                        "404": { "description": "No manifest for the app", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/v1/admin/manifests/{app}": {
                "parameters": [{ "$ref": "#/components/parameters/App" }],
                "get": {
                    "summary": "Every stored version of the app's manifest, newest first",
                    "security": [{ "bearer": [] }],
                    "responses": {
                        "200": { "description": "Versions", "content": { "application/json": { "schema": { "type": "array", "items": { "type": "object" } } } } },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "403": { "$ref": "#/components/responses/AdminOff" }
                    }
                },
                "put": {
                    "summary": "Upload a signed manifest: verified against the server's trusted keys, refused when expired, rolled back or equivocating",
                    "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Envelope" } } } },
                    "responses": {
                        "200": { "description": "Exactly this manifest was already stored" },
                        "201": { "description": "Stored and served" },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "403": { "$ref": "#/components/responses/AdminOff" },
                        "409": { "description": "Rollback or equivocation", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "422": { "description": "Not signed by enough trusted keys, not a manifest for this app, or expired", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/v1/admin/rollouts/{app}": {
                "parameters": [{ "$ref": "#/components/parameters/App" }],
                "get": {
                    "summary": "The rollout of the app's candidate pin sets and its events, newest first",
                    "security": [{ "bearer": [] }],
                    "responses": { "200": { "description": "State and events" }, "401": { "$ref": "#/components/responses/Unauthorized" } }
                },
                "post": {
                    "summary": "Start, advance or halt the rollout (never above the signed percentage)",
                    "security": [{ "bearer": [] }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "additionalProperties": false, "required": ["action"],
                        "properties": {
                            "action": { "enum": ["start", "advance", "halt"] },
                            "percentage": { "type": "integer", "minimum": 0, "maximum": 100 },
                            "reason": { "type": "string", "maxLength": 500 }
                        }
                    } } } },
                    "responses": {
                        "200": { "description": "The new state" },
                        "401": { "$ref": "#/components/responses/Unauthorized" },
                        "409": { "description": "Not possible in the rollout's state", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "422": { "description": "A bad action or percentage", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/v1/reports": {
                "post": {
                    "summary": "A pin-failure report: RFC 7469 section 3, TrustKit (iOS, Android) or pinwarden-rustls JSON",
                    "description": "Answered 202 only once the report is committed to the store. At most 64 KiB; rate-limited per source and app.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["hostname"] } } } },
                    "responses": {
                        "202": { "description": "Stored (or counted as a duplicate), with its class", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Accepted" } } } },
                        "400": { "description": "Not a valid report; the detail names the field", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "413": { "description": "Larger than 64 KiB", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "429": { "description": "Too many reports from this source for this app (Retry-After)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "503": { "description": "The queue is full or the store failed (Retry-After)", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/v1/reports/{app}": {
                "parameters": [{ "$ref": "#/components/parameters/App" }],
                "post": {
                    "summary": "A pin-failure report for an app (the path names the app)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["hostname"] } } } },
                    "responses": {
                        "202": { "description": "Stored", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Accepted" } } } },
                        "400": { "description": "Not a valid report or app name", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/api/v1/reports/summary": {
                "get": {
                    "summary": "Failures per day and by host, app, app version, manifest version, cohort and class",
                    "parameters": [
                        { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 365 } },
                        { "name": "app", "in": "query", "schema": { "type": "string" } },
                        { "name": "host", "in": "query", "schema": { "type": "string" } },
                        { "name": "class", "in": "query", "schema": { "$ref": "#/components/schemas/FailureClass" } }
                    ],
                    "responses": { "200": { "description": "The aggregates" } }
                }
            },
            "/api/v1/reports": {
                "get": {
                    "summary": "The newest reports, with their chains",
                    "parameters": [
                        { "name": "days", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 365 } },
                        { "name": "app", "in": "query", "schema": { "type": "string" } },
                        { "name": "host", "in": "query", "schema": { "type": "string" } },
                        { "name": "class", "in": "query", "schema": { "$ref": "#/components/schemas/FailureClass" } },
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500 } }
                    ],
                    "responses": { "200": { "description": "Reports, newest first" } }
                }
            },
            "/api/v1/ct/alerts": {
                "get": {
                    "summary": "CT monitor alerts (verified matches with their pin-aware verdicts), newest first",
                    "parameters": [
                        { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000 } }
                    ],
                    "responses": { "200": { "description": "{monitoring, alerts}" } }
                }
            },
            "/api/v1/ct/coverage": {
                "get": {
                    "summary": "Per CT log: verified size, newest tree head and its age, unverified ranges, last error",
                    "responses": { "200": { "description": "{monitoring, logs}" } }
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics: reports accepted, rejected (by reason) and deduplicated, queue depth, store latency",
                    "responses": { "200": { "description": "Prometheus text format", "content": { "text/plain": {} } } }
                }
            },
            "/api/v1/scenarios": {
                "get": {
                    "summary": "Saved what-if scenarios, by name",
                    "responses": {
                        "200": { "description": "Every scenario", "content": { "application/json": { "schema": { "type": "array", "items": { "$ref": "#/components/schemas/Scenario" } } } } },
                        "503": { "description": "The database failed", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            },
            "/api/v1/scenarios/{name}": {
                "parameters": [{ "name": "name", "in": "path", "required": true, "schema": { "type": "string", "minLength": 1, "maxLength": 64 } }],
                "get": {
                    "summary": "One scenario",
                    "responses": {
                        "200": { "description": "The scenario", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Scenario" } } } },
                        "404": { "description": "No scenario of that name", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                },
                "put": {
                    "summary": "Save scores under a name, replacing any scenario of that name",
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "required": ["radar"], "properties": { "radar": { "$ref": "#/components/schemas/RadarOverrides" } } } } }
                    },
                    "responses": {
                        "200": { "description": "Saved", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Scenario" } } } },
                        "400": { "description": "The body is not a request", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } },
                        "422": { "description": "A bad name, dimension or score", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                },
                "delete": {
                    "summary": "Delete a scenario",
                    "responses": {
                        "204": { "description": "Deleted" },
                        "404": { "description": "No scenario of that name", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                    }
                }
            }
        },
        "components": {
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
                    "required": ["class", "reason", "duplicate"],
                    "properties": {
                        "class": { "$ref": "#/components/schemas/FailureClass" },
                        "reason": { "type": "string" },
                        "duplicate": { "type": "boolean" }
                    }
                },
                "Envelope": {
                    "type": "object",
                    "required": ["payload", "payloadType", "signatures"],
                    "properties": {
                        "payload": { "type": "string", "description": "base64 of the manifest JSON" },
                        "payloadType": { "const": "application/vnd.pinwarden.manifest+json" },
                        "signatures": { "type": "array", "items": { "type": "object", "required": ["keyid", "sig"], "properties": { "keyid": { "type": "string" }, "sig": { "type": "string" } } } }
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
                "Scenario": {
                    "type": "object",
                    "required": ["name", "radar", "saved_at"],
                    "properties": {
                        "name": { "type": "string", "minLength": 1, "maxLength": 64 },
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
                }
            }
        }
    })
}
