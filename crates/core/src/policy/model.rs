//! The types of `pinwarden.toml`. Field names are the file's keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::cert::Level;
use crate::host::HostPattern;
use crate::pin::SpkiPin;
use crate::pinset::{PinEntry, PinRole, PinSet};

use super::load::date;
use super::schema;

/// A whole `pinwarden.toml`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Facts about the organisation's certificate lifecycle maturity.
    #[serde(default)]
    pub organisation: Organisation,
    /// The client applications, each with its type and update path.
    #[serde(default, rename = "application")]
    pub applications: Vec<Application>,
    /// The pin sets the applications use.
    #[serde(default, rename = "pinset")]
    pub pinsets: Vec<PolicyPinSet>,
    /// Third parties whose hosts applications talk to.
    #[serde(default, rename = "partner")]
    pub partners: Vec<Partner>,
    /// The organisation's own TLS endpoints.
    #[serde(default, rename = "endpoint")]
    pub endpoints: Vec<Endpoint>,
    /// Overrides of the cost model's inputs.
    #[serde(default)]
    pub cost: CostInputs,
}

/// The cost model's inputs; every one has a default from the framework.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CostInputs {
    /// Currency of every amount (an ISO 4217 code).
    pub currency: String,
    /// Engineer-weeks to implement pinning in a mobile app (the framework: 2–4).
    pub implementation_weeks: f64,
    /// Engineer-weeks for a desktop app.
    pub implementation_weeks_desktop: f64,
    /// Engineer-weeks for an internal service.
    pub implementation_weeks_service: f64,
    /// Engineer-weeks for an IoT fleet (the OTA pin path included).
    pub implementation_weeks_iot: f64,
    /// Engineer-weeks for a third-party API client.
    pub implementation_weeks_third_party: f64,
    /// Engineer-weeks to build the remote pin configuration service.
    pub remote_config_weeks: f64,
    /// Availability the remote pin configuration service must keep, in percent.
    pub remote_config_availability_percent: f64,
    /// Engineer-hours a year to run the remote pin configuration service.
    pub remote_config_hours_per_year: f64,
    /// Engineer-hours each pin change costs, per pinned application.
    pub hours_per_pin_change: f64,
    /// Cost of an engineer-hour.
    pub cost_per_engineer_hour: f64,
    /// Certificate incidents a year (the framework: 2–4 per two years).
    pub incidents_per_year: f64,
    /// Extra engineer-hours per incident and pinned application, to
    /// coordinate pin updates across its clients.
    pub incident_hours_per_app: f64,
    /// Chance of a pin outage per pinned application per year.
    pub outage_probability_per_year: f64,
    /// Share of an application's users a pin outage affects.
    pub users_affected_share: f64,
    /// Cost of one hour of outage for an application.
    pub outage_cost_per_hour: f64,
}

impl Default for CostInputs {
    fn default() -> Self {
        // Figures from the framework's cost equation; every one overridable in [cost].
        Self {
            currency: "USD".to_owned(),
            implementation_weeks: 3.0,
            implementation_weeks_desktop: 3.0,
            implementation_weeks_service: 1.0,
            implementation_weeks_iot: 6.0,
            implementation_weeks_third_party: 1.0,
            remote_config_weeks: 4.0,
            remote_config_availability_percent: 99.9,
            remote_config_hours_per_year: 80.0,
            hours_per_pin_change: 8.0,
            cost_per_engineer_hour: 100.0,
            incidents_per_year: 1.5,
            incident_hours_per_app: 8.0,
            outage_probability_per_year: 0.05,
            users_affected_share: 1.0,
            outage_cost_per_hour: 2_000.0,
        }
    }
}

/// Lifecycle maturity facts. A fact left out is "not stated", which the
/// assessment tells apart from a fact stated false.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// The organisation's name.
    pub name: Option<String>,
    /// Who owns the pin configuration lifecycle (a person or team address).
    pub owner: Option<String>,
    /// Share of certificates renewed and deployed automatically, 0–100.
    #[schemars(range(max = 100))]
    pub automated_renewal_percent: Option<u8>,
    /// Usual lifetime of the organisation's TLS certificates, in days.
    // schemars bounds a u32 below only, and TOML integers run to 2^63: without
    // a maximum the schema takes values the loader refuses. Every
    // `Option<u32>` below carries the same bound.
    #[schemars(range(max = u32::MAX))]
    pub certificate_lifetime_days: Option<u32>,
    /// The CAs certificates come from today.
    #[serde(default)]
    pub cas: Vec<String>,
    /// A second CA, ready to issue when the first can't.
    pub backup_ca: Option<String>,
    /// Whether the backup CA is under contract (named only, when false).
    pub backup_ca_contracted: Option<bool>,
    /// Hours needed to move issuance to another CA.
    #[schemars(range(max = u32::MAX))]
    pub hours_to_switch_ca: Option<u32>,
    /// Whether failing over between CAs has been exercised for real.
    pub ca_failover_exercised: Option<bool>,
    /// What pin-failure telemetry exists.
    pub telemetry: Option<Telemetry>,
    /// Whether Certificate Transparency logs are monitored for the domains.
    pub ct_monitoring: Option<bool>,
    /// Whether CAA records restrict which CAs may issue.
    pub caa: Option<bool>,
    /// Hours from a certificate appearing in a CT log to an alert, when CT is
    /// watched and reconciled with the pin inventory.
    #[schemars(range(max = u32::MAX))]
    pub ct_alert_hours: Option<u32>,
    /// Whether next keys are generated ahead of renewal, their pins shipped as backups.
    pub backup_keys_pregenerated: Option<bool>,
    /// Whether private keys live in an HSM.
    pub keys_in_hsm: Option<bool>,
    /// Whether CI checks the pins against every new certificate (`pinwarden check`).
    pub pin_check_in_ci: Option<bool>,
    /// Incident runbooks that involve pins.
    #[serde(default, rename = "runbook")]
    pub runbooks: Vec<Runbook>,
}

/// Levels of pin-failure telemetry, after the PKI Health Radar's anchors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Telemetry {
    /// No pin-failure reports.
    None,
    /// Reports with the presented chain and app version.
    Reports,
    /// Reports plus alert thresholds and report-only rollouts.
    Alerting,
    /// A failure-rate objective with automatic rollback.
    AutoRollback,
}

/// An incident runbook.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// What it covers.
    pub kind: RunbookKind,
    /// Where it lives.
    pub path: String,
    /// When it was last rehearsed (YYYY-MM-DD).
    #[serde(default, deserialize_with = "date")]
    #[schemars(schema_with = "schema::date")]
    pub last_rehearsed: Option<Spanned<toml::value::Datetime>>,
    /// Whether it has "update the pins" as a step.
    pub pin_step: Option<bool>,
}

/// The events a runbook covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunbookKind {
    /// Routine certificate rotation.
    Rotation,
    /// Moving to another CA.
    CaMigration,
    /// Emergency re-issuance after a key compromise or mis-issuance.
    EmergencyReissue,
}

/// A client application.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// Identifier, unique among applications.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// What kind of client it is.
    #[serde(rename = "type")]
    pub app_type: AppType,
    /// Classes of data it handles.
    #[serde(default)]
    pub data: Vec<DataClass>,
    /// How updates reach its clients.
    pub update_mechanism: Option<UpdateMechanism>,
    /// Days for an update to reach 95% of clients.
    #[schemars(range(max = u32::MAX))]
    pub update_days_to_95: Option<u32>,
    /// Hours for an update to reach 95% of clients, when it is that fast
    /// (finer than `update_days_to_95`; the smaller of the two counts).
    #[schemars(range(max = u32::MAX))]
    pub update_hours_to_95: Option<u32>,
    /// Whether pins can be changed remotely, without a release.
    pub remote_pin_config: Option<bool>,
    /// Hours for a remote pin change to reach 95% of clients (a remote pin
    /// configuration counts as hours when this is not stated).
    #[schemars(range(max = u32::MAX))]
    pub remote_pin_refresh_hours: Option<u32>,
    /// For IoT: whether the OTA pin update path has been exercised end to end.
    pub ota_tested: Option<bool>,
    /// For IoT: when the OTA path was last exercised (YYYY-MM-DD).
    #[serde(default, deserialize_with = "date")]
    #[schemars(schema_with = "schema::date")]
    pub ota_last_exercised: Option<Spanned<toml::value::Datetime>>,
    /// For IoT: share of the fleet an OTA update reaches, 0–100.
    #[schemars(range(max = 100))]
    pub ota_fleet_reach_percent: Option<u8>,
    /// Hosts it connects to.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Pin sets it enforces, by id.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub pinsets: Vec<Spanned<String>>,
    /// Who owns it.
    pub owner: Option<String>,
    /// For services: whether its peers' certificates come from a private CA.
    pub private_ca: Option<bool>,
    /// Lifetime of the certificates it meets, in days, when it differs from
    /// the organisation's.
    #[schemars(range(max = u32::MAX))]
    pub certificate_lifetime_days: Option<u32>,
}

/// Application types of the decision framework.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AppType {
    /// iOS or Android app.
    Mobile,
    /// Browser web app.
    Web,
    /// Internal service-to-service client.
    Service,
    /// IoT or embedded device.
    Iot,
    /// A client of a third party's API.
    ThirdParty,
    /// Desktop application.
    Desktop,
}

/// Data classes that make pinning worth its risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DataClass {
    /// Payments, accounts, trading.
    Financial,
    /// Health records.
    Health,
    /// Credentials and session tokens.
    AuthTokens,
    /// Data under a regulation (PCI DSS, HIPAA, …).
    Regulated,
    /// Personal data.
    Personal,
    /// Nothing sensitive.
    Public,
}

/// How an application's clients get updates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMechanism {
    /// Store releases that users install when they choose.
    AppStore,
    /// Updates that install themselves and can't be declined (a forced update).
    #[serde(alias = "forced-update")]
    MandatoryAutoUpdate,
    /// Signed over-the-air updates.
    OtaSigned,
    /// Over-the-air updates without signatures.
    OtaUnsigned,
    /// No update path.
    None,
}

/// A pin set as the policy states it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPinSet {
    /// Identifier, unique among pin sets.
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Host patterns (`api.example.com`, `*.example.com`, `**.example.com`).
    #[schemars(schema_with = "schema::host_patterns")]
    pub hosts: Vec<HostPattern>,
    /// The pins.
    #[serde(default)]
    pub pins: Vec<PolicyPin>,
    /// Enforce (true) or report only.
    #[serde(default = "yes")]
    pub enforce: bool,
    /// Whether exact host patterns also cover every name below them.
    #[serde(default)]
    pub include_subdomains: bool,
    /// When clients should stop enforcing the set (YYYY-MM-DD).
    #[serde(default, deserialize_with = "date")]
    #[schemars(schema_with = "schema::date")]
    pub expires: Option<Spanned<toml::value::Datetime>>,
    /// Where clients send pin-failure reports.
    pub report_uri: Option<String>,
}

fn yes() -> bool {
    true
}

/// One pin of a policy pin set.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPin {
    /// The pin, in any notation pinwarden reads.
    #[schemars(schema_with = "schema::pin")]
    pub pin: Spanned<SpkiPin>,
    /// Primary (in today's chains) or backup (held in reserve).
    #[serde(default)]
    pub role: PinRole,
    /// Level of the pinned key, when known.
    pub level: Option<Level>,
    /// A label for people.
    pub label: Option<String>,
    /// Where the key comes from: a CA name, a host, a key file.
    pub source: Option<String>,
}

/// A third party.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    /// Identifier.
    pub id: String,
    /// The partner's hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Whether the partner publishes pin sets for its endpoints.
    pub publishes_pins: Option<bool>,
    /// Days of notice the partner commits to before changing keys or CAs.
    #[schemars(range(max = u32::MAX))]
    pub notice_days: Option<u32>,
}

/// One of the organisation's TLS endpoints.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Host name.
    pub host: String,
    /// TCP port.
    #[serde(default = "https_port")]
    pub port: u16,
    /// Who runs it.
    pub owner: Option<String>,
}

fn https_port() -> u16 {
    443
}

impl Policy {
    /// The application with this id.
    pub fn application(&self, id: &str) -> Option<&Application> {
        self.applications.iter().find(|a| a.id.get_ref() == id)
    }

    /// The pin set with this id.
    pub fn pinset(&self, id: &str) -> Option<&PolicyPinSet> {
        self.pinsets.iter().find(|p| p.id.get_ref() == id)
    }
}

impl PolicyPinSet {
    /// The pin set as exports and clients use it.
    pub fn to_pinset(&self) -> PinSet {
        PinSet {
            id: self.id.get_ref().clone(),
            hosts: self.hosts.clone(),
            pins: self
                .pins
                .iter()
                .map(|p| PinEntry {
                    pin: *p.pin.get_ref(),
                    role: p.role,
                    level: p.level,
                    label: p.label.clone(),
                })
                .collect(),
            enforce: self.enforce,
            include_subdomains: self.include_subdomains,
            expires: self
                .expires
                .as_ref()
                .and_then(|d| calendar_date(d.get_ref())),
            report_uri: self.report_uri.clone(),
        }
    }
}

/// A TOML date as a calendar date, when it is one (no time, a real day).
pub fn calendar_date(d: &toml::value::Datetime) -> Option<time::Date> {
    if d.time.is_some() || d.offset.is_some() {
        return None;
    }
    let date = d.date?;
    let month = time::Month::try_from(date.month).ok()?;
    time::Date::from_calendar_date(i32::from(date.year), month, date.day).ok()
}
