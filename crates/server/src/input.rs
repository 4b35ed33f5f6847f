//! Request input as the OpenAPI document describes it: a query string or a
//! body outside the schema is refused as `application/problem+json` (400),
//! never with axum's plain-text rejections, and what the schema allows is
//! taken (a JSON Schema integer may be written `92.0`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, Error as _};

use crate::problem::{bad_body, problem};

/// A query string of `T`'s fields (unknown parameters refused when `T`
/// denies unknown fields), or a 400 problem saying what is wrong.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Self(value)),
            Err(e) => Err(problem(
                StatusCode::BAD_REQUEST,
                &format!("query string: {}", e.body_text()),
            )),
        }
    }
}

/// A JSON object body of `T`'s fields, or a 400 problem saying what is
/// wrong. serde would take a struct from a JSON array too (`[]` for a
/// struct of defaults); the API's schemas say object, so only an object is.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let Json(value) = Json::<serde_json::Value>::from_request(request, state)
            .await
            .map_err(|e| bad_body(&e))?;
        if !value.is_object() {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "the body is not a valid request: a JSON object is expected",
            ));
        }
        serde_json::from_value(value).map(Self).map_err(|e| {
            problem(
                StatusCode::BAD_REQUEST,
                &format!("the body is not a valid request: {e}"),
            )
        })
    }
}

/// A 400 problem for a query parameter outside its range.
pub(crate) fn out_of_range(name: &str, value: i64, min: i64, max: i64) -> Option<Response> {
    (value < min || value > max).then(|| {
        problem(
            StatusCode::BAD_REQUEST,
            &format!("query string: {name} = {value}: from {min} to {max}"),
        )
    })
}

/// A JSON number that is a whole number (`92` or `92.0`), as an integer.
fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // Exact: f is whole and well inside i64.
        (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// Radar scores by dimension name. Any whole number fits the type; the
/// 0–100 range and the names are checked where the error can say which
/// (`check_radar`, 422). Beyond a byte the value is refused here.
pub(crate) fn radar_scores<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, u8>, D::Error> {
    let raw = BTreeMap::<String, serde_json::Number>::deserialize(d)?;
    raw.into_iter()
        .map(
            |(k, v)| match whole(&v).and_then(|n| u8::try_from(n).ok()) {
                Some(n) => Ok((k, n)),
                None => Err(D::Error::custom(format!(
                    "radar.{k} = {v}: scores are whole numbers from 0 to 100"
                ))),
            },
        )
        .collect()
}

/// An optional percentage: a whole number (`37` or `37.0`) that fits a byte
/// (the 0–100 range is checked where the error can say why, 422).
pub(crate) fn percentage<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    whole(&n)
        .and_then(|v| u8::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("percentage = {n}: a whole number from 0 to 100")))
}

/// An optional field that, when present, must not be `null`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "radar_scores")]
        radar: BTreeMap<String, u8>,
        #[serde(default, deserialize_with = "present")]
        policy: Option<String>,
    }

    #[test]
    fn whole_numbers_in_any_spelling_and_no_null() {
        let b: Body = serde_json::from_str(r#"{"radar": {"a": 92.0, "b": 7, "c": 1e2}}"#).unwrap();
        assert_eq!(b.radar["a"], 92);
        assert_eq!(b.radar["c"], 100);
        assert!(b.policy.is_none());
        for bad in [
            r#"{"radar": {"a": 92.5}}"#,
            r#"{"radar": {"a": -1}}"#,
            r#"{"radar": {"a": 256}}"#,
            r#"{"policy": null}"#,
        ] {
            assert!(serde_json::from_str::<Body>(bad).is_err(), "{bad}");
        }
    }
}
