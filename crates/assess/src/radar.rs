//! The PKI Health Radar: nine dimensions, 0–100, scored from facts with the
//! framework's anchors. A score never claims what the policy can't show: a
//! fact the file doesn't state scores as unknown (0), and said so.

use pinwarden_core::policy::{
    AppType, Policy, RunbookKind, Telemetry, UpdateMechanism, calendar_date,
};

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
    /// 0–100.
    pub value: u8,
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

    /// Replaces a score (the UI's "what if" sliders).
    pub fn set(&mut self, dimension: Dimension, value: u8) {
        if let Some(score) = self.scores.iter_mut().find(|s| s.dimension == dimension) {
            score.value = value.min(100);
            score.facts = vec![format!("set to {} by hand", score.value)];
        }
    }

    /// Weighted overall score, 0–100, with the default weights or those of
    /// an application type.
    pub fn overall(&self, app: Option<AppType>) -> u8 {
        let weight = |d: Dimension| app.map_or(d.weight(), |a| d.weight_for(a));
        let total: u32 = Dimension::ALL.iter().map(|d| weight(*d)).sum();
        let sum: u32 = self
            .scores
            .iter()
            .map(|s| u32::from(s.value) * weight(s.dimension))
            .sum();
        u8::try_from((sum + total / 2) / total).unwrap_or(100)
    }
}

fn score(dimension: Dimension, value: u8, facts: Vec<String>) -> Score {
    Score {
        dimension,
        value,
        facts,
    }
}

/// Scores the organisation from its policy.
pub fn radar(policy: &Policy, today: time::Date) -> Radar {
    let org = &policy.organisation;
    let lifetime = org.certificate_lifetime_days;
    let mut scores = Vec::with_capacity(9);

    scores.push(match (org.automated_renewal_percent, lifetime) {
        (None, _) => score(
            Dimension::LifecycleAutomation,
            0,
            vec!["automated_renewal_percent is not stated".into()],
        ),
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

    // Pin update speed: the slowest application that pins sets the pace.
    let pinned: Vec<_> = policy
        .applications
        .iter()
        .filter(|a| !a.pinsets.is_empty())
        .collect();
    let speeds: Vec<(u8, String)> = pinned.iter().map(|a| update_speed(a)).collect();
    scores.push(match speeds.iter().min_by_key(|(v, _)| *v) {
        Some((value, fact)) => score(Dimension::PinUpdateSpeed, *value, vec![fact.clone()]),
        None => score(
            Dimension::PinUpdateSpeed,
            0,
            vec!["no application pins yet".into()],
        ),
    });

    let rehearsed_within = |kind: RunbookKind, days: i64| {
        org.runbooks.iter().any(|r| {
            r.kind == kind
                && r.last_rehearsed
                    .as_ref()
                    .and_then(|d| calendar_date(d.get_ref()))
                    .is_some_and(|d| (today - d).whole_days() <= days)
        })
    };
    scores.push(match (&org.backup_ca, org.hours_to_switch_ca) {
        (None, _) => score(
            Dimension::CaAgility,
            0,
            vec!["no backup CA under contract".into()],
        ),
        (Some(ca), hours) => {
            let drilled = rehearsed_within(RunbookKind::CaMigration, 365);
            let value = match (hours, drilled) {
                (Some(h), true) if h <= 24 => 100,
                (Some(h), true) if h <= 72 => 75,
                (Some(h), _) if h <= 168 => 50,
                _ => 25,
            };
            let hours = hours.map_or("an unknown time".to_owned(), |h| format!("{h} hours"));
            let drill = if drilled {
                "drilled within a year"
            } else {
                "not drilled within a year"
            };
            score(
                Dimension::CaAgility,
                value,
                vec![format!("backup CA {ca}; switching takes {hours}; {drill}")],
            )
        }
    });

    scores.push(match org.telemetry {
        None => score(
            Dimension::Telemetry,
            0,
            vec!["telemetry is not stated".into()],
        ),
        Some(t) => {
            let (value, what) = match t {
                Telemetry::None => (0, "no pin-failure telemetry"),
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

    scores.push({
        let kinds = [RunbookKind::Rotation, RunbookKind::CaMigration, RunbookKind::EmergencyReissue];
        let all_books = kinds.iter().all(|k| org.runbooks.iter().any(|r| r.kind == *k));
        let all_fresh = kinds.iter().all(|k| rehearsed_within(*k, 183));
        match (&org.owner, all_books, all_fresh) {
            (None, _, _) => score(Dimension::OwnershipRunbooks, 0, vec!["no owner of the pin lifecycle".into()]),
            (Some(o), true, true) => score(
                Dimension::OwnershipRunbooks,
                100,
                vec![format!("owner {o}; runbooks for rotation, CA migration and emergency re-issuance, all rehearsed in the last 6 months")],
            ),
            (Some(o), true, false) => score(
                Dimension::OwnershipRunbooks,
                75,
                vec![format!("owner {o}; all three runbooks exist, not all rehearsed in the last 6 months")],
            ),
            (Some(o), false, _) => score(
                Dimension::OwnershipRunbooks,
                50,
                vec![format!("owner {o}; runbooks missing for some of rotation, CA migration, emergency re-issuance")],
            ),
        }
    });

    scores.push(match (org.ct_monitoring, org.caa) {
        (Some(true), Some(true)) => score(
            Dimension::CtCaa,
            50,
            vec!["CT monitoring and CAA in place (100 needs CT events reconciled with the inventory within an hour)".into()],
        ),
        (Some(true), _) | (_, Some(true)) => score(Dimension::CtCaa, 25, vec!["only one of CT monitoring and CAA".into()]),
        _ => score(Dimension::CtCaa, 0, vec!["no CT monitoring or CAA stated".into()]),
    });

    scores.push(match lifetime {
        None => score(
            Dimension::LifetimeHygiene,
            0,
            vec!["certificate lifetime is not stated".into()],
        ),
        Some(days) => {
            let value = match days {
                0..=7 => 100,
                8..=47 => 75,
                48..=100 => 50,
                101..=398 => 25,
                _ => 0,
            };
            score(
                Dimension::LifetimeHygiene,
                value,
                vec![format!("certificates live {days} days")],
            )
        }
    });

    scores.push({
        let private = policy.applications.iter().any(|a| a.private_ca)
            || policy.pinsets.iter().any(|s| {
                s.pins.iter().any(|p| {
                    p.source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("private-ca:"))
                })
            });
        match (private, lifetime) {
            (true, Some(d)) if d <= 30 => score(
                Dimension::PrivatePki,
                75,
                vec![format!("a private CA, {d}-day certificates")],
            ),
            (true, _) => score(
                Dimension::PrivatePki,
                50,
                vec!["a private CA is in use".into()],
            ),
            (false, _) => score(
                Dimension::PrivatePki,
                0,
                vec!["no private CA stated".into()],
            ),
        }
    });

    // OTA: the weakest update path among the devices and desktops.
    let ota: Vec<(u8, String)> = policy
        .applications
        .iter()
        .filter(|a| matches!(a.app_type, AppType::Iot | AppType::Desktop))
        .map(|a| {
            let days = a.update_days_to_95;
            let value =
                match (a.update_mechanism, days) {
                    (
                        UpdateMechanism::MandatoryAutoUpdate | UpdateMechanism::OtaSigned,
                        Some(d),
                    ) if d <= 7 => 100,
                    (
                        UpdateMechanism::MandatoryAutoUpdate | UpdateMechanism::OtaSigned,
                        Some(d),
                    ) if d <= 30 => 75,
                    (
                        UpdateMechanism::OtaUnsigned
                        | UpdateMechanism::OtaSigned
                        | UpdateMechanism::MandatoryAutoUpdate,
                        _,
                    ) => 50,
                    _ => 0,
                };
            (
                value,
                format!(
                    "{}: {} updates, {}",
                    a.id.get_ref(),
                    mechanism(a.update_mechanism),
                    days.map_or("speed unknown".into(), |d| format!("95% in {d} days"))
                ),
            )
        })
        .collect();
    scores.push(match ota.iter().min_by_key(|(v, _)| *v) {
        Some((v, fact)) => score(Dimension::OtaUpdates, *v, vec![fact.clone()]),
        None => score(
            Dimension::OtaUpdates,
            0,
            vec!["no IoT or desktop applications".into()],
        ),
    });

    Radar { scores }
}

/// Pin update speed of one application, with the fact that set it.
pub(crate) fn update_speed(app: &pinwarden_core::policy::Application) -> (u8, String) {
    let id = app.id.get_ref();
    match (app.update_days_to_95, app.remote_pin_config) {
        (None, _) => (
            0,
            format!("{id}: time for an update to reach 95% is unknown"),
        ),
        (Some(d), true) if d <= 7 => (
            75,
            format!("{id}: signed remote pin configuration, 95% within {d} days"),
        ),
        (Some(d), remote)
            if d <= 30
                && (remote
                    || matches!(
                        app.update_mechanism,
                        UpdateMechanism::MandatoryAutoUpdate | UpdateMechanism::OtaSigned
                    )) =>
        {
            (
                50,
                format!("{id}: forced update or remote configuration, 95% within {d} days"),
            )
        }
        (Some(d), _) if d <= 90 => (25, format!("{id}: releases reach 95% in {d} days")),
        (Some(d), _) => (0, format!("{id}: updates take {d} days to reach 95%")),
    }
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
