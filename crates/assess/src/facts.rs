//! The facts the rules read, drawn once from the policy. Every fact is
//! `Some` only when the policy states it (or a what-if slider sets it), and
//! carries the words that say where it came from, so a trace can show it.
//!
//! A slider in the UI overrides facts, not conclusions: moving "pin-failure
//! telemetry" below 50 makes the telemetry fact false, and every rule,
//! question and gate that reads it follows ([`Facts::what_if`]).

use pinwarden_core::cadata::CaDataset;
use pinwarden_core::policy::{
    AppType, Application, DataClass, Policy, PolicyPinSet, RunbookKind, Telemetry, UpdateMechanism,
    calendar_date,
};

use crate::radar::Dimension;

/// A fact: its value when stated, and what the policy says about it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fact<T> {
    /// The value, or `None` when the policy doesn't state it.
    pub value: Option<T>,
    /// The policy's words for it ("update_days_to_95 = 21"), or "not stated".
    pub says: String,
}

impl<T> Fact<T> {
    fn stated(value: T, says: impl Into<String>) -> Self {
        Self {
            value: Some(value),
            says: says.into(),
        }
    }

    fn unstated(what: &str) -> Self {
        Self {
            value: None,
            says: format!("{what}: not stated"),
        }
    }

    fn what_if(value: T, dimension: Dimension, score: u8) -> Self {
        Self {
            value: Some(value),
            says: format!("what if: {} set to {score}", dimension.title()),
        }
    }
}

/// How fast new pins reach 95% of an application's clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Speed {
    /// Within 24 hours.
    Hours,
    /// Within 7 days.
    Days,
    /// Within 90 days.
    Weeks,
    /// Slower, never, or only when users choose to update.
    Never,
}

impl Speed {
    fn of_hours(hours: u32) -> Self {
        match hours {
            0..=24 => Self::Hours,
            25..=168 => Self::Days,
            169..=2160 => Self::Weeks,
            _ => Self::Never,
        }
    }

    /// The class a radar score stands for (its anchors: 75 hours, 50 days, 25 weeks).
    pub(crate) fn of_score(score: u8) -> Self {
        match score {
            75.. => Self::Hours,
            50..=74 => Self::Days,
            25..=49 => Self::Weeks,
            _ => Self::Never,
        }
    }

    /// The radar's score for the class.
    pub(crate) fn score(self) -> u8 {
        match self {
            Self::Hours => 75,
            Self::Days => 50,
            Self::Weeks => 25,
            Self::Never => 0,
        }
    }

    /// Words for people.
    pub fn words(self) -> &'static str {
        match self {
            Self::Hours => "hours",
            Self::Days => "days",
            Self::Weeks => "weeks",
            Self::Never => "months, never, or when users choose",
        }
    }
}

/// What the organisation states, as the rules read it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OrgFacts {
    /// Most certificate renewals are automated (≥ 50%).
    pub automated: Fact<bool>,
    /// Someone owns the pin configuration lifecycle.
    pub owner: Fact<bool>,
    /// Pin-failure telemetry exists.
    pub telemetry: Fact<bool>,
    /// Every runbook (rotation, CA migration, emergency re-issuance) exists
    /// with the pin-update step: `Some(false)` when one is missing or lacks it.
    pub runbooks: Fact<bool>,
    /// Moving to another CA takes at most 24 hours.
    pub switch_in_a_day: Fact<bool>,
    /// A backup CA is named.
    pub backup_ca: Fact<String>,
    /// Only one CA is in use and none is named as a backup.
    pub single_ca: Fact<bool>,
    /// CT monitoring of the domains.
    pub ct_monitoring: Fact<bool>,
    /// CAA records restrict issuance.
    pub caa: Fact<bool>,
    /// Certificates are short-lived (hours to days, ≤ 7 days).
    pub short_lived: Fact<bool>,
}

/// What the policy states about one application, as the rules read it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AppFacts {
    /// Its id.
    pub id: String,
    /// Its type.
    pub app_type: AppType,
    /// Whether it has pin sets today.
    pub pins_today: bool,
    /// It handles financial, health, auth-token or regulated data.
    pub sensitive: Fact<bool>,
    /// Its hosts are the organisation's own, or a partner's that publishes
    /// pins and commits to notice.
    pub endpoints_controlled: Fact<bool>,
    /// Its hosts are all the organisation's own (no third party).
    pub own_hosts_only: Fact<bool>,
    /// How fast new pins reach 95% of its clients through its fastest path.
    pub speed: Fact<Speed>,
    /// Hours that path takes to reach 95%, when stated (a remote pin
    /// configuration without a stated refresh counts as 24).
    pub speed_hours: Option<u32>,
    /// Its pin sets hold keys of two CAs (or, without pin sets, a backup CA exists).
    pub second_ca_key: Fact<bool>,
    /// Each of its pin sets holds a key of the named backup CA (unstated
    /// without pin sets or a backup CA).
    pub backup_ca_key: Fact<bool>,
    /// Updates install themselves; users can't defer them.
    pub mandatory_update: Fact<bool>,
    /// Its peers' certificates come from a private CA.
    pub private_ca: Fact<bool>,
    /// Its OTA updates are signed.
    pub ota_signed: Fact<bool>,
    /// Its OTA pin update path has been exercised.
    pub ota_tested: Fact<bool>,
    /// Its OTA updates reach at least 95% of the fleet.
    pub ota_reaches_fleet: Fact<bool>,
}

/// Everything the rules read.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Facts {
    /// The organisation's facts.
    pub org: OrgFacts,
    /// One per application, in the policy's order.
    pub apps: Vec<AppFacts>,
}

impl Facts {
    /// Draws the facts from `policy` as of `today`.
    pub fn from_policy(policy: &Policy, today: time::Date) -> Self {
        let cas = CaDataset::builtin();
        Self {
            org: org_facts(policy),
            apps: policy
                .applications
                .iter()
                .map(|a| app_facts(policy, a, cas, today))
                .collect(),
        }
    }

    /// Overrides the facts a radar dimension stands for with what a score
    /// of `score` means (the framework's anchors), for "what if".
    pub fn what_if(&mut self, dimension: Dimension, score: u8) {
        let s = score.min(100);
        let set = |value: bool| Fact::what_if(value, dimension, s);
        let org = &mut self.org;
        match dimension {
            Dimension::LifecycleAutomation => org.automated = set(s >= 50),
            Dimension::PinUpdateSpeed => {
                for app in &mut self.apps {
                    app.speed = Fact::what_if(Speed::of_score(s), dimension, s);
                    app.speed_hours = None;
                }
            }
            Dimension::CaAgility => {
                org.switch_in_a_day = set(s >= 75);
                org.single_ca = set(s < 25);
                if s >= 25 && org.backup_ca.value.is_none() {
                    org.backup_ca = Fact::what_if("a backup CA".to_owned(), dimension, s);
                }
                // 75 and above: the backup key is in every pin set; below
                // 25: one CA; in between the pin sets decide.
                let keys = match s {
                    75.. => Some(true),
                    0..=24 => Some(false),
                    _ => None,
                };
                if let Some(value) = keys {
                    for app in &mut self.apps {
                        app.second_ca_key = set(value);
                        app.backup_ca_key = set(value);
                    }
                }
            }
            Dimension::Telemetry => org.telemetry = set(s >= 50),
            Dimension::OwnershipRunbooks => {
                org.owner = set(s >= 50);
                org.runbooks = set(s >= 75);
            }
            Dimension::CtCaa => {
                org.ct_monitoring = set(s >= 25);
                org.caa = set(s >= 50);
            }
            Dimension::LifetimeHygiene => org.short_lived = set(s >= 100),
            Dimension::PrivatePki => {
                for app in self
                    .apps
                    .iter_mut()
                    .filter(|a| a.app_type == AppType::Service)
                {
                    app.private_ca = Fact::what_if(s >= 50, dimension, s);
                }
                org.short_lived = set(s >= 100);
            }
            Dimension::OtaUpdates => {
                for app in &mut self.apps {
                    let v = Fact::what_if(s >= 75, dimension, s);
                    match app.app_type {
                        AppType::Iot => {
                            app.ota_signed = v.clone();
                            app.ota_tested = v.clone();
                            app.ota_reaches_fleet = v;
                        }
                        AppType::Desktop => app.mandatory_update = v,
                        _ => {}
                    }
                }
            }
        }
    }

    /// The facts of the application with this id.
    pub fn app(&self, id: &str) -> Option<&AppFacts> {
        self.apps.iter().find(|a| a.id == id)
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

fn bool_fact(value: Option<bool>, key: &str) -> Fact<bool> {
    match value {
        Some(v) => Fact::stated(v, format!("{key} = {}", yes_no(v))),
        None => Fact::unstated(key),
    }
}

fn org_facts(policy: &Policy) -> OrgFacts {
    let org = &policy.organisation;
    let automated = match org.automated_renewal_percent {
        Some(p) => Fact::stated(p >= 50, format!("automated_renewal_percent = {p}")),
        None => Fact::unstated("automated_renewal_percent"),
    };
    let owner = match &org.owner {
        Some(o) if !o.trim().is_empty() => Fact::stated(true, format!("owner = {o:?}")),
        _ => Fact::unstated("organisation.owner"),
    };
    let telemetry = match org.telemetry {
        Some(t) => Fact::stated(
            t != Telemetry::None,
            format!("telemetry = {:?}", crate::html::name(t)),
        ),
        None => Fact::unstated("telemetry"),
    };
    let runbooks = runbook_fact(policy);
    let switch_in_a_day = match org.hours_to_switch_ca {
        Some(h) => Fact::stated(h <= 24, format!("hours_to_switch_ca = {h}")),
        None => Fact::unstated("hours_to_switch_ca"),
    };
    let backup_ca = match &org.backup_ca {
        Some(ca) => Fact::stated(ca.clone(), format!("backup_ca = {ca:?}")),
        None => Fact::unstated("backup_ca"),
    };
    let single_ca = match (&org.backup_ca, org.cas.len()) {
        (Some(ca), _) => Fact::stated(false, format!("backup_ca = {ca:?}")),
        (None, 0) => Fact::unstated("cas and backup_ca"),
        (None, 1) => Fact::stated(true, format!("cas = [{:?}], no backup_ca", org.cas[0])),
        (None, n) => Fact::stated(false, format!("{n} CAs in cas")),
    };
    let short_lived = match org.certificate_lifetime_days {
        Some(d) => Fact::stated(d <= 7, format!("certificate_lifetime_days = {d}")),
        None => Fact::unstated("certificate_lifetime_days"),
    };
    OrgFacts {
        automated,
        owner,
        telemetry,
        runbooks,
        switch_in_a_day,
        backup_ca,
        single_ca,
        ct_monitoring: bool_fact(org.ct_monitoring, "ct_monitoring"),
        caa: bool_fact(org.caa, "caa"),
        short_lived,
    }
}

/// The three runbooks, each with the pin step: false when one is missing or
/// states no pin step, unstated when all exist but some don't say.
fn runbook_fact(policy: &Policy) -> Fact<bool> {
    let books = &policy.organisation.runbooks;
    let kinds = [
        (RunbookKind::Rotation, "rotation"),
        (RunbookKind::CaMigration, "CA migration"),
        (RunbookKind::EmergencyReissue, "emergency re-issuance"),
    ];
    let mut missing = Vec::new();
    let mut no_step = Vec::new();
    let mut unsaid = Vec::new();
    for (kind, words) in kinds {
        let of_kind: Vec<_> = books.iter().filter(|r| r.kind == kind).collect();
        if of_kind.is_empty() {
            missing.push(words);
        } else if of_kind.iter().any(|r| r.pin_step == Some(true)) {
        } else if of_kind.iter().any(|r| r.pin_step == Some(false)) {
            no_step.push(words);
        } else {
            unsaid.push(words);
        }
    }
    if !missing.is_empty() || !no_step.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("no {} runbook", missing.join(", ")));
        }
        if !no_step.is_empty() {
            parts.push(format!("no pin step in the {} runbook", no_step.join(", ")));
        }
        Fact::stated(false, parts.join("; "))
    } else if !unsaid.is_empty() {
        Fact {
            value: None,
            says: format!("pin_step: not stated for the {} runbook", unsaid.join(", ")),
        }
    } else {
        Fact::stated(
            true,
            "rotation, CA migration and emergency re-issuance runbooks, each with pin_step = true",
        )
    }
}

fn sensitive(app: &Application) -> Fact<bool> {
    if app.data.is_empty() {
        return Fact::unstated("data");
    }
    let names: Vec<String> = app.data.iter().map(|d| crate::html::name(*d)).collect();
    let value = app.data.iter().any(|d| {
        matches!(
            d,
            DataClass::Financial | DataClass::Health | DataClass::AuthTokens | DataClass::Regulated
        )
    });
    Fact::stated(value, format!("data = [{}]", names.join(", ")))
}

/// The hosts an application talks to: its own list, else its pin sets' patterns.
fn hosts(policy: &Policy, app: &Application) -> Vec<String> {
    if !app.hosts.is_empty() {
        return app.hosts.clone();
    }
    app.pinsets
        .iter()
        .filter_map(|id| policy.pinset(id.get_ref()))
        .flat_map(|s| s.hosts.iter().map(|h| h.domain().to_owned()))
        .collect()
}

/// Who is behind each host: the organisation, a partner, or nobody the policy names.
fn endpoints(policy: &Policy, app: &Application) -> (Fact<bool>, Fact<bool>) {
    let hosts = hosts(policy, app);
    if hosts.is_empty() {
        return (Fact::unstated("hosts"), Fact::unstated("hosts"));
    }
    let mut controlled = Some(true);
    let mut own_only = Some(true);
    let mut says = Vec::new();
    for host in &hosts {
        if policy.endpoints.iter().any(|e| e.host == *host) {
            says.push(format!("{host}: own endpoint"));
        } else if let Some(p) = policy.partners.iter().find(|p| p.hosts.contains(host)) {
            own_only = Some(false);
            let notice = p.notice_days;
            let verdict = match (p.publishes_pins, notice) {
                (Some(false), _) | (_, Some(0)) => Some(false),
                (Some(true), Some(_)) => Some(true),
                _ => None,
            };
            controlled = match (controlled, verdict) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
            let pins = p.publishes_pins.map_or("publishes_pins not stated", |v| {
                if v {
                    "publishes pins"
                } else {
                    "publishes no pins"
                }
            });
            let notice = notice.map_or("notice_days not stated".to_owned(), |d| {
                format!("{d} days' notice")
            });
            says.push(format!("{host}: partner {} ({pins}, {notice})", p.id));
        } else {
            if own_only == Some(true) {
                own_only = None;
            }
            if controlled == Some(true) {
                controlled = None;
            }
            says.push(format!("{host}: not an [[endpoint]] or a partner's host"));
        }
    }
    let says = says.join("; ");
    (
        Fact {
            value: controlled,
            says: says.clone(),
        },
        Fact {
            value: own_only,
            says,
        },
    )
}

/// The fastest path to 95% of clients: a remote pin configuration (hours
/// unless a slower refresh is stated), else the update mechanism's stated
/// time; store releases without a stated time depend on users.
fn speed(app: &Application) -> (Fact<Speed>, Option<u32>) {
    let mut paths: Vec<(Speed, String, Option<u32>)> = Vec::new();
    if app.remote_pin_config == Some(true) {
        paths.push(match app.remote_pin_refresh_hours {
            Some(h) => (
                Speed::of_hours(h),
                format!("remote pin configuration, 95% in {h} hours"),
                Some(h),
            ),
            None => (
                Speed::Hours,
                "remote pin configuration, no slower refresh stated".to_owned(),
                Some(24),
            ),
        });
    }
    let stated_hours = [
        app.update_hours_to_95,
        app.update_days_to_95.map(|d| d.saturating_mul(24)),
    ]
    .into_iter()
    .flatten()
    .min();
    let mechanism = app.update_mechanism.map(crate::html::name);
    match (app.update_mechanism, stated_hours) {
        (Some(UpdateMechanism::None), _) => {
            paths.push((Speed::Never, "update_mechanism = \"none\"".to_owned(), None));
        }
        (_, Some(h)) => {
            let time = match h {
                24 if app.update_hours_to_95.is_none() => "1 day".to_owned(),
                _ if h % 24 == 0 && (h > 48 || app.update_hours_to_95.is_none()) => {
                    format!("{} days", h / 24)
                }
                1 => "1 hour".to_owned(),
                _ => format!("{h} hours"),
            };
            let via = mechanism.map_or("updates".to_owned(), |m| format!("{m} updates"));
            paths.push((
                Speed::of_hours(h),
                format!("{via} reach 95% in {time}"),
                Some(h),
            ));
        }
        (Some(UpdateMechanism::AppStore), None) => paths.push((
            Speed::Never,
            "store releases: as fast as users choose to update".to_owned(),
            None,
        )),
        _ => {}
    }
    match paths.into_iter().min_by_key(|(s, _, h)| (*s, *h)) {
        Some((speed, says, hours)) => (Fact::stated(speed, says), hours),
        None if app.remote_pin_config == Some(false) => (
            Fact {
                value: None,
                says: "remote_pin_config = false; update speed not stated".to_owned(),
            },
            None,
        ),
        None => (
            Fact::unstated("update speed (update_days_to_95, remote_pin_config)"),
            None,
        ),
    }
}

/// The CA operators whose keys a pin set holds, decided from the keys: a
/// CA's known root or intermediate key names its operator; otherwise the
/// pin's `source` ("ca:NAME", resolved through the CA dataset's names and
/// aliases) does. Returns the operators and the number of pins of no known CA.
fn operators(set: &PolicyPinSet, cas: &CaDataset) -> (Vec<String>, usize) {
    let mut operators: Vec<String> = Vec::new();
    let mut unknown = 0;
    for pin in &set.pins {
        let operator = cas
            .by_pin(pin.pin.get_ref())
            .map(|ca| ca.name.clone())
            .or_else(|| {
                let name = pin.source.as_deref()?.strip_prefix("ca:")?;
                Some(ca_name(cas, name))
            });
        match operator {
            Some(o) if !operators.contains(&o) => operators.push(o),
            Some(_) => {}
            None => unknown += 1,
        }
    }
    (operators, unknown)
}

/// A CA's name as the dataset knows it ("ISRG" is Let's Encrypt), else as given.
fn ca_name(cas: &CaDataset, name: &str) -> String {
    cas.by_name(name)
        .map_or(name.to_owned(), |ca| ca.name.clone())
}

/// Folds per-pin-set answers: any false is false, any unknown is unknown.
fn all_of(values: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let values: Vec<Option<bool>> = values.into_iter().collect();
    if values.contains(&Some(false)) {
        Some(false)
    } else if values.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// Whether the application's pin sets hold keys of at least two CAs (B3),
/// and whether each holds a key of the named backup CA (question 2).
fn ca_keys(policy: &Policy, app: &Application, cas: &CaDataset) -> (Fact<bool>, Fact<bool>) {
    let sets: Vec<_> = app
        .pinsets
        .iter()
        .filter_map(|id| policy.pinset(id.get_ref()))
        .collect();
    let backup = policy
        .organisation
        .backup_ca
        .as_deref()
        .map(|b| ca_name(cas, b));
    if sets.is_empty() {
        let second = match (&backup, policy.organisation.cas.len()) {
            (Some(ca), _) => Fact::stated(
                true,
                format!("no pin set yet; backup CA {ca} to take the backup pin from"),
            ),
            (None, 1) => Fact::stated(false, "no pin set yet; one CA and no backup_ca"),
            _ => Fact::unstated("pin sets, backup_ca"),
        };
        return (second, Fact::unstated("pin sets (none yet)"));
    }
    let mut says = Vec::new();
    let mut second = Vec::new();
    let mut holds_backup = Vec::new();
    for set in sets {
        let (operators, unknown) = operators(set, cas);
        second.push(match (operators.len(), unknown) {
            (2.., _) => Some(true),
            (_, 1..) => None,
            _ => Some(false),
        });
        holds_backup.push(match &backup {
            Some(b) if operators.contains(b) => Some(true),
            Some(_) if unknown == 0 => Some(false),
            _ => None,
        });
        let unknown = if unknown > 0 {
            format!(", {unknown} pins of no known CA")
        } else {
            String::new()
        };
        let held = if operators.is_empty() {
            "no known CA".to_owned()
        } else {
            operators.join(" and ")
        };
        says.push(format!(
            "pin set {}: keys of {held}{unknown}",
            set.id.get_ref()
        ));
    }
    let says = says.join("; ");
    let backup_says = match &backup {
        Some(b) => format!("backup CA {b}; {says}"),
        None => "backup_ca: not stated".to_owned(),
    };
    (
        Fact {
            value: all_of(second),
            says,
        },
        Fact {
            value: all_of(holds_backup),
            says: backup_says,
        },
    )
}

fn app_facts(policy: &Policy, app: &Application, cas: &CaDataset, today: time::Date) -> AppFacts {
    let (endpoints_controlled, own_hosts_only) = endpoints(policy, app);
    let (speed, speed_hours) = speed(app);
    let (second_ca_key, backup_ca_key) = ca_keys(policy, app, cas);
    let mechanism = app.update_mechanism;
    let mechanism_says =
        |m: UpdateMechanism| format!("update_mechanism = {:?}", crate::html::name(m));
    let mandatory_update = match mechanism {
        Some(m) => Fact::stated(m == UpdateMechanism::MandatoryAutoUpdate, mechanism_says(m)),
        None => Fact::unstated("update_mechanism"),
    };
    let ota_signed = match mechanism {
        Some(m) => Fact::stated(m == UpdateMechanism::OtaSigned, mechanism_says(m)),
        None => Fact::unstated("update_mechanism"),
    };
    let exercised = app
        .ota_last_exercised
        .as_ref()
        .and_then(|d| calendar_date(d.get_ref()));
    let ota_tested = match (app.ota_tested, exercised) {
        (Some(false), _) => Fact::stated(false, "ota_tested = false"),
        (_, Some(date)) if date <= today => {
            let days = (today - date).whole_days();
            Fact::stated(
                true,
                format!("ota_last_exercised = {date} ({days} days ago)"),
            )
        }
        (_, Some(date)) => Fact {
            value: None,
            says: format!("ota_last_exercised = {date} is in the future"),
        },
        (Some(true), None) => Fact::stated(true, "ota_tested = true"),
        (None, None) => Fact::unstated("ota_tested / ota_last_exercised"),
    };
    let ota_reaches_fleet = match (
        app.ota_fleet_reach_percent,
        app.update_days_to_95.or(app.update_hours_to_95),
    ) {
        (Some(p), _) => Fact::stated(p >= 95, format!("ota_fleet_reach_percent = {p}")),
        (None, Some(_)) => Fact::stated(true, "updates reach 95% (update_days_to_95 stated)"),
        (None, None) => Fact::unstated("ota_fleet_reach_percent"),
    };
    AppFacts {
        id: app.id.get_ref().clone(),
        app_type: app.app_type,
        pins_today: !app.pinsets.is_empty(),
        sensitive: sensitive(app),
        endpoints_controlled,
        own_hosts_only,
        speed,
        speed_hours,
        second_ca_key,
        backup_ca_key,
        mandatory_update,
        private_ca: bool_fact(app.private_ca, "private_ca"),
        ota_signed,
        ota_tested,
        ota_reaches_fleet,
    }
}

impl AppFacts {
    /// Whether pinning is on the table for it: it pins today, or it is of a
    /// type that can pin and its data doesn't rule pinning out.
    pub fn candidate(&self) -> bool {
        self.pins_today || (self.app_type != AppType::Web && self.sensitive.value != Some(false))
    }
}
