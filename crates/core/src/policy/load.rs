//! Reading `pinwarden.toml`: syntax and types through toml and serde, then
//! the checks serde can't make (duplicate ids, dangling references,
//! impossible dates). Every problem points at a line and column.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, Error as _, Unexpected};
use toml::Spanned;
use toml::value::Datetime;

use super::model::{Policy, calendar_date};

/// One problem in a policy file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl Diagnostic {
    fn at(text: &str, offset: usize, message: String, hint: Option<&str>) -> Self {
        let (line, column) = line_column(text, offset);
        Self {
            line,
            column,
            message,
            hint: hint.map(str::to_owned),
        }
    }
}

/// Line and column (characters), both from 1, of a byte offset in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

impl Policy {
    /// Reads and checks a policy file's text.
    pub fn parse(text: &str) -> Result<Self, Vec<Diagnostic>> {
        let policy: Self = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_owned();
            let hint = hint_for(&message);
            vec![Diagnostic::at(text, offset, message, hint)]
        })?;
        let problems = policy.check(text);
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(problems)
        }
    }

    fn check(&self, text: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let at = |span: Range<usize>, message: String, hint: &str| {
            Diagnostic::at(text, span.start, message, Some(hint))
        };
        duplicates(
            self.applications.iter().map(|a| &a.id),
            "application",
            |span, msg| out.push(at(span, msg, "give every application its own id")),
        );
        duplicates(
            self.pinsets.iter().map(|p| &p.id),
            "pin set",
            |span, msg| out.push(at(span, msg, "give every pin set its own id")),
        );
        for app in &self.applications {
            for reference in &app.pinsets {
                if self.pinset(reference.get_ref()).is_none() {
                    out.push(at(
                        reference.span(),
                        format!(
                            "application {:?} uses pin set {:?}, which is not defined",
                            app.id.get_ref(),
                            reference.get_ref()
                        ),
                        "define it in a [[pinset]] table, or fix the id",
                    ));
                }
            }
        }
        let dates =
            self.applications
                .iter()
                .filter_map(|a| {
                    Some((
                        a.id.get_ref(),
                        "ota_last_exercised",
                        a.ota_last_exercised.as_ref()?,
                    ))
                })
                .chain(
                    self.organisation.runbooks.iter().filter_map(|r| {
                        Some((&r.path, "last_rehearsed", r.last_rehearsed.as_ref()?))
                    }),
                );
        for (owner, key, date) in dates {
            if calendar_date(date.get_ref()).is_none() {
                out.push(at(
                    date.span(),
                    format!(
                        "{owner:?}: {key} = {} is not a calendar date",
                        date.get_ref()
                    ),
                    "write a date alone, like 2026-05-31",
                ));
            }
        }
        let percents = [(
            "organisation",
            "automated_renewal_percent",
            self.organisation.automated_renewal_percent,
        )]
        .into_iter()
        .chain(self.applications.iter().map(|a| {
            (
                a.id.get_ref().as_str(),
                "ota_fleet_reach_percent",
                a.ota_fleet_reach_percent,
            )
        }));
        for (owner, key, value) in percents {
            if let Some(v) = value.filter(|v| *v > 100) {
                // Plain integers carry no span: name the table and the key instead.
                out.push(Diagnostic::at(
                    text,
                    text.find(key).unwrap_or(0),
                    format!("{owner}: {key} = {v} is more than 100"),
                    Some("a share of 0–100"),
                ));
            }
        }
        for set in &self.pinsets {
            if let Some(expires) = &set.expires
                && calendar_date(expires.get_ref()).is_none()
            {
                out.push(at(
                    expires.span(),
                    format!(
                        "pin set {:?}: expires = {} is not a calendar date",
                        set.id.get_ref(),
                        expires.get_ref()
                    ),
                    "write a date alone, like 2027-06-30",
                ));
            }
            let mut seen = HashMap::new();
            for pin in &set.pins {
                if let Some(first) = seen.insert(*pin.pin.get_ref(), pin.pin.span()) {
                    let line = Diagnostic::at(text, first.start, String::new(), None).line;
                    out.push(at(
                        pin.pin.span(),
                        format!(
                            "pin set {:?}: {} is listed twice (first on line {line})",
                            set.id.get_ref(),
                            pin.pin.get_ref()
                        ),
                        "remove the repeat: a duplicate adds no backup",
                    ));
                }
            }
        }
        out.sort_by_key(|d| (d.line, d.column));
        out
    }
}

/// A date written as a TOML date (`2026-05-31`) or as a string
/// (`"2026-05-31"`, as the schema types it and JSON or YAML converters write
/// it). Either is then checked to be a calendar date like any other.
pub(super) fn date<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Spanned<Datetime>>, D::Error> {
    let value = Spanned::<toml::Value>::deserialize(deserializer)?;
    let span = value.span();
    let date = match value.into_inner() {
        toml::Value::Datetime(date) => date,
        toml::Value::String(text) => text
            .parse()
            .map_err(|_| D::Error::custom(format!("{text:?} is not a date (YYYY-MM-DD)")))?,
        other => {
            return Err(D::Error::invalid_type(
                Unexpected::Other(other.type_str()),
                &"a date (YYYY-MM-DD)",
            ));
        }
    };
    Ok(Some(Spanned::new(span, date)))
}

/// Reports every id after the first that repeats an earlier one.
fn duplicates<'a>(
    ids: impl Iterator<Item = &'a Spanned<String>>,
    what: &str,
    mut report: impl FnMut(Range<usize>, String),
) {
    let mut seen: HashMap<&str, Range<usize>> = HashMap::new();
    for id in ids {
        if seen.insert(id.get_ref(), id.span()).is_some() {
            report(
                id.span(),
                format!("{what} id {:?} is used twice", id.get_ref()),
            );
        }
    }
}

fn hint_for(message: &str) -> Option<&'static str> {
    if message.contains("unknown field") {
        Some("check the spelling; `pinwarden schema` prints every key the file may hold")
    } else if message.contains("unknown variant") {
        Some("use one of the values listed")
    } else if message.contains("bad pin") || message.contains("pin") && message.contains("bytes") {
        Some("a pin is sha256/BASE64 of the key: `pinwarden pin CERT` prints it")
    } else if message.contains("a date (YYYY-MM-DD)") {
        Some("write a date alone, like 2026-05-31, bare or in quotes")
    } else if message.contains("missing field") {
        Some("add the key; `pinwarden schema` shows what each table needs")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runbook(last_rehearsed: &str) -> String {
        format!(
            "[organisation]\nname = \"o\"\n\n[[organisation.runbook]]\nkind = \"rotation\"\npath = \"r\"\nlast_rehearsed = {last_rehearsed}\n"
        )
    }

    fn rehearsed(text: &str) -> Option<time::Date> {
        let policy = Policy::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        calendar_date(
            policy.organisation.runbooks[0]
                .last_rehearsed
                .as_ref()?
                .get_ref(),
        )
    }

    // Issue 16: the schema types dates as strings, the loader refused them.
    #[test]
    fn a_date_loads_as_a_string_or_a_toml_date() {
        let may_first = time::macros::date!(2026 - 05 - 01);
        assert_eq!(rehearsed(&runbook("\"2026-05-01\"")), Some(may_first));
        assert_eq!(rehearsed(&runbook("2026-05-01")), Some(may_first));
        let text = "[[pinset]]\nid = \"s\"\nhosts = [\"a.example\"]\nexpires = \"2027-06-30\"\n\n\
                    [[application]]\nid = \"a\"\ntype = \"iot\"\nota_last_exercised = '2026-04-02'\n";
        let policy = Policy::parse(text).unwrap();
        assert_eq!(
            policy.pinsets[0].to_pinset().expires,
            Some(time::macros::date!(2027 - 06 - 30))
        );
        let ota = policy.applications[0].ota_last_exercised.as_ref().unwrap();
        assert_eq!(&text[ota.span()], "'2026-04-02'");
    }

    #[test]
    fn a_bad_date_string_is_refused_at_its_place_with_a_hint() {
        for (value, says) in [
            ("\"01/05/2026\"", "is not a date"),
            ("\"tomorrow\"", "is not a date"),
            ("20260501", "expected a date"),
            ("\"2026-02-30\"", "is not a date"),
            ("\"2026-05-01T10:00:00Z\"", "is not a calendar date"),
        ] {
            let text = runbook(value);
            let problems = Policy::parse(&text).expect_err(value);
            let [problem] = problems.as_slice() else {
                panic!("{value}: {problems:?}");
            };
            assert_eq!(
                (problem.line, problem.column),
                (7, "last_rehearsed = ".len() + 1),
                "{value}: {problem}"
            );
            assert!(problem.message.contains(says), "{value}: {problem}");
            assert!(
                problem.hint.as_deref().unwrap_or("").contains("2026-05-31"),
                "{value}: {problem}"
            );
        }
    }
}
