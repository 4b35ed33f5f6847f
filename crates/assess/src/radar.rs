//! The PKI Health Radar: nine dimensions, 0–100, scored from facts with the
//! framework's anchors. A score never claims what the policy can't show: a
//! fact the file doesn't state scores 0 and is flagged unstated, which reads
//! differently from a fact stated false; a dimension that doesn't concern
//! the organisation (no devices, no internal services) is "n/a" and left out
//! of the overall score.

use pinwarden_core::policy::{
    AppType, Policy, RunbookKind, Telemetry, UpdateMechanism, calendar_date,
};

use crate::facts::Facts;

/// A dimension of the radar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dimension {
    /// Certificate lifecycle automation.
    LifecycleAutomation,
    /// How fast pin updates reach 95% of clients.
    PinUpdateSpeed,
    /// How fast the organisation can change CA.
    CaAgility,
    /// Pin-failure telemetry.
    Telemetry,
    /// Ownership and runbooks.
    OwnershipRunbooks,
    /// CT monitoring and CAA.
    CtCaa,
    /// Certificate lifetime and key hygiene.
    LifetimeHygiene,
    /// Private PKI and workload identity.
    PrivatePki,
    /// Over-the-air and automatic updates.
    OtaUpdates,
}

impl Dimension {
    /// All nine, in the framework's order.
    pub const ALL: [Self; 9] = [
        Self::LifecycleAutomation,
        Self::PinUpdateSpeed,
        Self::CaAgility,
        Self::Telemetry,
        Self::OwnershipRunbooks,
        Self::CtCaa,
        Self::LifetimeHygiene,
        Self::PrivatePki,
        Self::OtaUpdates,
    ];

    /// A name for people.
    pub fn title(self) -> &'static str {
        match self {
            Self::LifecycleAutomation => "Lifecycle automation",
            Self::PinUpdateSpeed => "Pin update speed",
            Self::CaAgility => "CA agility",
            Self::Telemetry => "Pin-failure telemetry",
            Self::OwnershipRunbooks => "Ownership and runbooks",
            Self::CtCaa => "CT monitoring and CAA",
            Self::LifetimeHygiene => "Certificate lifetime and key hygiene",
            Self::PrivatePki => "Private PKI / workload identity",
            Self::OtaUpdates => "OTA / auto-update",
        }
    }

    /// The framework's default weight.
    pub fn weight(self) -> u32 {
        match self {
            Self::LifecycleAutomation | Self::PinUpdateSpeed => 20,
            Self::CaAgility => 15,
            Self::Telemetry | Self::OwnershipRunbooks | Self::CtCaa => 10,
            Self::LifetimeHygiene | Self::PrivatePki | Self::OtaUpdates => 5,
        }
    }

    /// The weight for an application type: private PKI counts triple for
    /// internal services, OTA four times for IoT and desktop.
    pub fn weight_for(self, app: AppType) -> u32 {
        match (self, app) {
            (Self::PrivatePki, AppType::Service) => self.weight() * 3,
            (Self::OtaUpdates, AppType::Iot | AppType::Desktop) => self.weight() * 4,
            _ => self.weight(),
        }
    }
}

/// One dimension's score and the facts behind it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Score {
    /// The dimension.
    pub dimension: Dimension,
    /// 0–100 (0 when it doesn't apply).
    pub value: u8,
    /// Whether it concerns the organisation; "n/a" dimensions are left out
    /// of the overall score.
    pub applies: bool,
    /// Whether the policy states the facts it rests on (or a slider set it).
    pub stated: bool,
    /// The facts that set it, one sentence each.
    pub facts: Vec<String>,
}

/// The nine scores.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Radar {
    /// In [`Dimension::ALL`] order.
    pub scores: Vec<Score>,
}

impl Radar {
    /// The score of a dimension.
    pub fn get(&self, dimension: Dimension) -> u8 {
        self.scores
            .iter()
            .find(|s| s.dimension == dimension)
            .map_or(0, |s| s.value)
    }

    /// Whether a dimension concerns the organisation.
    pub fn applies(&self, dimension: Dimension) -> bool {
        self.scores
            .iter()
            .any(|s| s.dimension == dimension && s.applies)
    }

    /// Replaces a score (the UI's "what if" sliders). Use
    /// [`crate::assess_what_if`] to carry the change into the verdicts.
    pub fn set(&mut self, dimension: Dimension, value: u8) {
        if let Some(score) = self.scores.iter_mut().find(|s| s.dimension == dimension) {
            score.value = value.min(100);
            score.stated = true;
            score.facts = vec![format!("what if: set to {} by hand", score.value)];
        }
    }

    /// Weighted overall score, 0–100, over the dimensions that apply, with
    /// the default weights or those of an application type.
    pub fn overall(&self, app: Option<AppType>) -> u8 {
        let weight = |d: Dimension| app.map_or(d.weight(), |a| d.weight_for(a));
        let applying = self.scores.iter().filter(|s| s.applies);
        let total: u32 = applying.clone().map(|s| weight(s.dimension)).sum();
        if total == 0 {
            return 0;
        }
        let sum: u32 = applying
            .map(|s| u32::from(s.value) * weight(s.dimension))
            .sum();
        u8::try_from((sum + total / 2) / total).unwrap_or(100)
    }
}

fn score(dimension: Dimension, value: u8, facts: Vec<String>) -> Score {
    Score {
        dimension,
        value,
        applies: true,
        stated: true,
        facts,
    }
}

fn unstated(dimension: Dimension, fact: &str) -> Score {
    Score {
        dimension,
        value: 0,
        applies: true,
        stated: false,
        facts: vec![format!("{fact} is not stated")],
    }
}

fn not_applicable(dimension: Dimension, why: &str) -> Score {
    Score {
        dimension,
        value: 0,
        applies: false,
        stated: true,
        facts: vec![format!("n/a: {why}")],
    }
}

/// Scores the organisation from its policy and the facts drawn from it.
pub fn radar(policy: &Policy, facts: &Facts, today: time::Date) -> Radar {
    let org = &policy.organisation;
    let lifetime = org.certificate_lifetime_days;
    let rehearsed_within = |kind: RunbookKind, days: i64| {
        org.runbooks.iter().any(|r| {
            r.kind == kind
                && r.last_rehearsed
                    .as_ref()
                    .and_then(|d| calendar_date(d.get_ref()))
                    .is_some_and(|d| d <= today && (today - d).whole_days() <= days)
        })
    };
    let mut scores = Vec::with_capacity(9);

    // Lifecycle automation: 50 at half renewed by ACME or an API, 75 at 90%,
    // 100 zero-touch on certificates of 47 days or less.
    scores.push(match (org.automated_renewal_percent, lifetime) {
        (None, _) => unstated(Dimension::LifecycleAutomation, "automated_renewal_percent"),
        (Some(p), Some(days)) if p >= 100 && days <= 47 => score(
            Dimension::LifecycleAutomation,
            100,
            vec![format!(
                "{p}% of certificates renew automatically, on {days}-day certificates"
            )],
        ),
        (Some(p), _) => {
            let value = match p {
                90.. => 75,
                50..=89 => 50,
                _ => p / 2,
            };
            score(
                Dimension::LifecycleAutomation,
                value,
                vec![format!("{p}% of certificates renew automatically")],
            )
        }
    });

    // Pin update speed: the slowest application that pins or may pin.
    let candidates: Vec<_> = facts.apps.iter().filter(|a| a.candidate()).collect();
    scores.push(if candidates.is_empty() {
        not_applicable(
            Dimension::PinUpdateSpeed,
            "no application pins or is a candidate for pinning",
        )
    } else {
        let slowest = candidates
            .iter()
            .min_by_key(|a| a.speed.value.map_or(0, |s| s.score()))
            .copied();
        match slowest {
            Some(a) if a.speed.value.is_some() => score(
                Dimension::PinUpdateSpeed,
                a.speed.value.map_or(0, |s| s.score()),
                vec![format!("slowest: {}: {}", a.id, a.speed.says)],
            ),
            Some(a) => unstated(
                Dimension::PinUpdateSpeed,
                &format!("{}'s update speed", a.id),
            ),
            None => unstated(Dimension::PinUpdateSpeed, "update speed"),
        }
    });

    // CA agility: 25 a backup named, 50 contracted with a switch within 7
    // days, 75 within 24 hours, drilled within a year, backup key pinned;
    // 100 multi-CA failover exercised.
    let backup_key_pinned = facts
        .apps
        .iter()
        .filter(|a| a.pins_today)
        .all(|a| a.backup_ca_key.value == Some(true));
    scores.push(match (&org.backup_ca, org.hours_to_switch_ca) {
        (None, _) if org.cas.is_empty() => unstated(Dimension::CaAgility, "backup_ca"),
        (None, _) => score(
            Dimension::CaAgility,
            0,
            vec![format!(
                "no backup CA named ({} in use)",
                org.cas.join(", ")
            )],
        ),
        (Some(ca), hours) => {
            let drilled = rehearsed_within(RunbookKind::CaMigration, 365);
            let contracted = org.backup_ca_contracted;
            let value = match (contracted, hours) {
                (Some(false) | None, _) => 25,
                (Some(true), Some(h)) if h <= 24 && drilled && backup_key_pinned => {
                    if org.ca_failover_exercised == Some(true) {
                        100
                    } else {
                        75
                    }
                }
                (Some(true), Some(h)) if h <= 168 => 50,
                (Some(true), _) => 25,
            };
            let contract = match contracted {
                Some(true) => "contracted",
                Some(false) => "named, not contracted",
                None => "contract not stated",
            };
            let hours = hours.map_or("switch time not stated".to_owned(), |h| {
                format!("switching takes {h} hours")
            });
            let drill = if drilled {
                "drilled within a year"
            } else {
                "not drilled within a year"
            };
            let key = if backup_key_pinned {
                "its key in the pin sets"
            } else {
                "its key missing from a pin set"
            };
            score(
                Dimension::CaAgility,
                value,
                vec![format!(
                    "backup CA {ca} ({contract}); {hours}; {drill}; {key}"
                )],
            )
        }
    });

    scores.push(match org.telemetry {
        None => unstated(Dimension::Telemetry, "telemetry"),
        Some(t) => {
            let (value, what) = match t {
                Telemetry::None => (0, "no pin-failure telemetry (stated)"),
                Telemetry::Reports => (50, "pin-failure reports with chain and app version"),
                Telemetry::Alerting => {
                    (75, "reports with alert thresholds and report-only rollouts")
                }
                Telemetry::AutoRollback => {
                    (100, "a failure-rate objective with automatic rollback")
                }
            };
            score(Dimension::Telemetry, value, vec![what.into()])
        }
    });

    // Ownership and runbooks: 50 an owner and a pin inventory, 75 runbooks
    // with the pin step, 100 rehearsed within 6 months and a CI pin check.
    scores.push({
        let kinds = [
            RunbookKind::Rotation,
            RunbookKind::CaMigration,
            RunbookKind::EmergencyReissue,
        ];
        let all_fresh = kinds.iter().all(|k| rehearsed_within(*k, 183));
        let books = facts.org.runbooks.value;
        let books_says = &facts.org.runbooks.says;
        match &org.owner {
            None => unstated(
                Dimension::OwnershipRunbooks,
                "an owner of the pin lifecycle",
            ),
            Some(o) => {
                let (value, more) = match books {
                    Some(true) if all_fresh && org.pin_check_in_ci == Some(true) => (
                        100,
                        "all rehearsed in the last 6 months; CI checks the pins",
                    ),
                    Some(true) => (
                        75,
                        "100 needs every runbook rehearsed in 6 months and a CI pin check",
                    ),
                    _ => (50, "75 needs the pin step in every runbook"),
                };
                score(
                    Dimension::OwnershipRunbooks,
                    value,
                    vec![format!("owner {o}; {books_says}; {more}")],
                )
            }
        }
    });

    // CT and CAA: 50 both, 100 with alerts within the hour.
    scores.push(match (org.ct_monitoring, org.caa) {
        (None, None) => unstated(Dimension::CtCaa, "ct_monitoring or caa"),
        (Some(true), Some(true)) if org.ct_alert_hours.is_some_and(|h| h <= 1) => score(
            Dimension::CtCaa,
            100,
            vec!["CT events reconciled with the pin inventory, alerts within the hour; CAA in place".into()],
        ),
        (Some(true), Some(true)) => score(
            Dimension::CtCaa,
            50,
            vec!["CT monitoring and CAA in place (100 needs CT alerts within an hour: ct_alert_hours)".into()],
        ),
        (Some(true), _) | (_, Some(true)) => {
            score(Dimension::CtCaa, 25, vec!["only one of CT monitoring and CAA".into()])
        }
        _ => score(Dimension::CtCaa, 0, vec!["neither CT monitoring nor CAA (stated)".into()]),
    });

    // Lifetime and key hygiene: 50 at 100 days or less, 75 at 47 days with a
    // pre-generated backup key, 100 at 7 days with keys in an HSM.
    scores.push(match lifetime {
        None => unstated(Dimension::LifetimeHygiene, "certificate_lifetime_days"),
        Some(days) => {
            let backup = org.backup_keys_pregenerated == Some(true);
            let hsm = org.keys_in_hsm == Some(true);
            let value = match days {
                0..=7 if backup && hsm => 100,
                0..=47 if backup => 75,
                0..=100 => 50,
                101..=398 => 25,
                _ => 0,
            };
            let mut words = format!("certificates live {days} days");
            if days <= 47 && !backup {
                words.push_str(" (75 needs pre-generated backup keys: backup_keys_pregenerated)");
            }
            score(Dimension::LifetimeHygiene, value, vec![words])
        }
    });

    // Private PKI: only for organisations with internal services.
    let services: Vec<_> = policy
        .applications
        .iter()
        .filter(|a| a.app_type == AppType::Service)
        .collect();
    scores.push(if services.is_empty() {
        not_applicable(
            Dimension::PrivatePki,
            "no internal service-to-service applications",
        )
    } else {
        let private: Vec<_> = services
            .iter()
            .filter(|a| a.private_ca == Some(true))
            .collect();
        let days =
            |a: &&&pinwarden_core::policy::Application| a.certificate_lifetime_days.or(lifetime);
        if private.is_empty() && services.iter().all(|a| a.private_ca.is_none()) {
            unstated(Dimension::PrivatePki, "private_ca")
        } else if private.is_empty() {
            score(
                Dimension::PrivatePki,
                0,
                vec!["internal services use public CAs".into()],
            )
        } else {
            let shortest = private.iter().filter_map(days).min();
            let value = match shortest {
                Some(0..=1) => 100,
                Some(2..=30) => 75,
                _ => 50,
            };
            let words = shortest.map_or("a private CA is in use".to_owned(), |d| {
                format!("a private CA, {d}-day certificates")
            });
            score(Dimension::PrivatePki, value, vec![words])
        }
    });

    // OTA: the weakest update path among devices and desktops.
    let fleets: Vec<_> = policy
        .applications
        .iter()
        .filter(|a| matches!(a.app_type, AppType::Iot | AppType::Desktop))
        .collect();
    scores.push(if fleets.is_empty() {
        not_applicable(Dimension::OtaUpdates, "no IoT or desktop applications")
    } else {
        let rated: Vec<(Option<u8>, String)> = fleets
            .iter()
            .map(|a| {
                let days = a
                    .update_days_to_95
                    .or(a.update_hours_to_95.map(|h| h.div_ceil(24)));
                let reach_low = a.ota_fleet_reach_percent.is_some_and(|p| p < 80);
                let value = match (a.update_mechanism, days) {
                    (None, _) => None,
                    (
                        Some(UpdateMechanism::OtaSigned | UpdateMechanism::MandatoryAutoUpdate),
                        _,
                    ) if reach_low => Some(50),
                    (
                        Some(UpdateMechanism::OtaSigned | UpdateMechanism::MandatoryAutoUpdate),
                        Some(d),
                    ) if d <= 7 => Some(100),
                    (
                        Some(UpdateMechanism::OtaSigned | UpdateMechanism::MandatoryAutoUpdate),
                        Some(d),
                    ) if d <= 30 => Some(75),
                    (
                        Some(
                            UpdateMechanism::OtaUnsigned
                            | UpdateMechanism::OtaSigned
                            | UpdateMechanism::MandatoryAutoUpdate,
                        ),
                        _,
                    ) => Some(50),
                    _ => Some(0),
                };
                let how = a
                    .update_mechanism
                    .map_or("update mechanism not stated".to_owned(), |m| {
                        format!("{} updates", mechanism(m))
                    });
                let speed = days.map_or("speed not stated".to_owned(), |d| {
                    format!("95% in {d} days")
                });
                (value, format!("{}: {how}, {speed}", a.id.get_ref()))
            })
            .collect();
        match rated.iter().min_by_key(|(v, _)| v.unwrap_or(0)) {
            Some((Some(v), fact)) => score(Dimension::OtaUpdates, *v, vec![fact.clone()]),
            Some((None, fact)) => Score {
                facts: vec![fact.clone()],
                ..unstated(Dimension::OtaUpdates, "update mechanism")
            },
            None => unstated(Dimension::OtaUpdates, "update mechanism"),
        }
    });

    Radar { scores }
}

fn mechanism(m: UpdateMechanism) -> &'static str {
    match m {
        UpdateMechanism::AppStore => "app-store",
        UpdateMechanism::MandatoryAutoUpdate => "mandatory auto-update",
        UpdateMechanism::OtaSigned => "signed OTA",
        UpdateMechanism::OtaUnsigned => "unsigned OTA",
        UpdateMechanism::None => "no",
    }
}
