//! What-if scenarios: radar scores saved by name from the radar page.

use std::collections::BTreeMap;

use pinwarden_assess::{Dimension, name};
use sqlx::Row as _;

use super::{Store, StoreError, on_pool};

/// Radar scores that replace the facts', saved under a name.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scenario {
    /// 1–64 characters, no control characters.
    pub name: String,
    /// Dimension name → score 0–100.
    pub radar: BTreeMap<String, u8>,
    /// When it was saved, Unix seconds.
    #[serde(default)]
    pub saved_at: i64,
}

/// Why a scenario is refused.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The name is empty, too long or has control characters.
    #[error("scenario name {0:?}: use 1 to 64 characters, no control characters")]
    Name(String),
    /// A dimension the radar doesn't have.
    #[error("unknown radar dimension {0:?}")]
    Dimension(String),
    /// A score above 100.
    #[error("{dimension} = {value}: scores run from 0 to 100")]
    Score {
        /// The dimension.
        dimension: String,
        /// The score given.
        value: u8,
    },
}

/// Checks a radar override map: known dimensions, scores 0–100.
pub(crate) fn check_radar(radar: &BTreeMap<String, u8>) -> Result<(), ScenarioError> {
    for (dimension, &value) in radar {
        if !Dimension::ALL.into_iter().any(|d| name(d) == *dimension) {
            return Err(ScenarioError::Dimension(dimension.clone()));
        }
        if value > 100 {
            return Err(ScenarioError::Score {
                dimension: dimension.clone(),
                value,
            });
        }
    }
    Ok(())
}

impl Scenario {
    /// Checks the name and the scores.
    pub fn check(&self) -> Result<(), ScenarioError> {
        let length = self.name.chars().count();
        if !(1..=64).contains(&length) || self.name.chars().any(char::is_control) {
            return Err(ScenarioError::Name(self.name.clone()));
        }
        check_radar(&self.radar)
    }
}

impl Store {
    /// Every saved scenario, by name.
    pub async fn scenarios(&self) -> Result<Vec<Scenario>, StoreError> {
        let rows = on_pool!(self, pool => {
            sqlx::query("SELECT name, radar, saved_at FROM scenarios ORDER BY name")
                .fetch_all(pool)
                .await
                .map_err(|cause| self.error(cause))?
                .into_iter()
                .map(|row| {
                    Ok::<_, sqlx::Error>((
                        row.try_get::<String, _>(0)?,
                        row.try_get::<String, _>(1)?,
                        row.try_get::<i64, _>(2)?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|cause| self.error(cause))?
        });
        rows.into_iter()
            .map(|(name, radar, saved_at)| {
                let radar = serde_json::from_str(&radar).map_err(|e| {
                    self.error(sqlx::Error::Decode(
                        format!("scenario {name:?} holds unreadable scores: {e}").into(),
                    ))
                })?;
                Ok(Scenario {
                    name,
                    radar,
                    saved_at,
                })
            })
            .collect()
    }

    /// Saves `scenario`, replacing one of the same name. The caller checks it.
    pub async fn save_scenario(&self, scenario: &Scenario) -> Result<(), StoreError> {
        let radar = serde_json::to_string(&scenario.radar).unwrap_or_else(|_| "{}".into());
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO scenarios (name, radar, saved_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO UPDATE SET radar = excluded.radar, saved_at = excluded.saved_at",
            )
            .bind(&scenario.name)
            .bind(radar)
            .bind(scenario.saved_at)
            .execute(pool)
            .await
            .map_err(|cause| self.error(cause))?
            .rows_affected()
        });
        Ok(())
    }

    /// Deletes a scenario; false when there was none of that name.
    pub async fn delete_scenario(&self, name: &str) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("DELETE FROM scenarios WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await
                .map_err(|cause| self.error(cause))?
                .rows_affected()
        });
        Ok(done > 0)
    }
}
