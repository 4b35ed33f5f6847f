//! The OpenAPI 3.1 document of the API, served at /api/openapi.json.

use serde_json::{Value, json};

/// The document.
pub(crate) fn document() -> Value {
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
            }
        },
        "components": {
            "schemas": {
                "AssessRequest": {
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "policy": { "type": "string", "description": "pinwarden.toml text; the server's policy when absent" },
                        "radar": {
                            "type": "object",
                            "description": "Scores (0-100) that replace the facts' for these dimensions",
                            "propertyNames": { "enum": ["lifecycle-automation", "pin-update-speed", "ca-agility", "telemetry", "ownership-runbooks", "ct-caa", "lifetime-hygiene", "private-pki", "ota-updates"] },
                            "additionalProperties": { "type": "integer", "minimum": 0, "maximum": 100 }
                        }
                    }
                },
                "Report": {
                    "type": "object",
                    "required": ["radar", "decisions", "questions", "cost"],
                    "properties": {
                        "radar": { "type": "object" },
                        "decisions": { "type": "array", "items": { "type": "object", "required": ["application", "verdict", "reasons"] } },
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
