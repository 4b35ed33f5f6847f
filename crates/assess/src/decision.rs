//! The decision table: per application type, whether to pin, at which level,
//! with which backup, or what to do instead, and why.

use pinwarden_core::policy::{AppType, Application, DataClass, Policy, UpdateMechanism};

use crate::gates::{Effect, gates};
use crate::radar::{Radar, update_speed};

/// What to do about pinning an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Pin.
    Pin,
    /// Pin, once the stated conditions hold (report-only first, say).
    PinWithConditions,
    /// Don't pin; do the alternatives.
    DontPin,
    /// Pinning would fit, but the organisation isn't ready to run it.
    NotReady,
}

/// The level to pin at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// An intermediate or root key of the CA.
    Ca,
    /// The organisation's own private root, with an offline backup root.
    PrivateRoot,
    /// Exactly the keys the partner publishes.
    PartnerPublished,
}

/// The verdict for one application.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Decision {
    /// The application.
    pub application: String,
    /// Its type.
    pub app_type: AppType,
    /// The verdict.
    pub verdict: Verdict,
    /// The level, when pinning.
    pub level: Option<Level>,
    /// The backup it needs, when pinning.
    pub backup: Option<String>,
    /// What to do instead of, or besides, pinning.
    pub instead: Vec<String>,
    /// Why, one sentence each.
    pub reasons: Vec<String>,
}

fn sensitive(app: &Application) -> bool {
    app.data.iter().any(|d| {
        matches!(
            d,
            DataClass::Financial | DataClass::Health | DataClass::AuthTokens | DataClass::Regulated
        )
    })
}

/// Decides for `app`, within its organisation's `radar`.
pub fn decide(policy: &Policy, app: &Application, radar: &Radar) -> Decision {
    let mut d = Decision {
        application: app.id.get_ref().clone(),
        app_type: app.app_type,
        verdict: Verdict::DontPin,
        level: None,
        backup: None,
        instead: Vec::new(),
        reasons: Vec::new(),
    };
    let ct_caa = || "CT monitoring for its domains and CAA records restricting CAs".to_owned();
    match app.app_type {
        AppType::Web => {
            d.reasons
                .push("browsers removed HPKP (Chrome 72, Firefox 72): a web app can't pin".into());
            d.instead = vec![ct_caa(), "automated certificate lifecycle".into()];
        }
        AppType::Mobile => {
            let (speed, fact) = update_speed(app);
            if !sensitive(app) {
                d.reasons.push(
                    "it handles no sensitive data (financial, health, auth tokens, regulated)"
                        .into(),
                );
                d.instead = vec![ct_caa(), "automated certificate lifecycle".into()];
            } else if !app.remote_pin_config {
                d.reasons.push(format!(
                    "sensitive data, but pins can only change with a release ({fact})"
                ));
                d.instead = vec![
                    ct_caa(),
                    "automated certificate lifecycle".into(),
                    "a signed remote pin configuration, after which pinning fits".into(),
                ];
            } else {
                d.verdict = Verdict::Pin;
                d.level = Some(Level::Ca);
                d.backup = Some("a root or intermediate of a second CA".into());
                d.reasons.push(format!(
                    "sensitive data and a remote pin configuration (update speed {speed}: {fact})"
                ));
            }
        }
        AppType::Service => {
            let lifetime = app
                .certificate_lifetime_days
                .or(policy.organisation.certificate_lifetime_days);
            if app.private_ca && lifetime.is_some_and(|l| l <= 30) {
                d.reasons.push("mTLS with a private CA and short-lived certificates already gives most of pinning's benefit".into());
                d.instead = vec![
                    "keep mTLS with the private CA; shorten certificate lifetimes further".into(),
                ];
            } else if app.private_ca {
                d.reasons.push(
                    "a private CA, but certificates live long: shorten them rather than pin".into(),
                );
                d.instead = vec!["certificates of hours to days from the private CA".into()];
            } else {
                d.verdict = Verdict::Pin;
                d.level = Some(Level::Ca);
                d.backup = Some("a second public CA's root".into());
                d.reasons
                    .push("long-lived certificates from a public CA: pin the CA level".into());
                d.instead = vec!["plan the move to a private CA with short-lived certificates (public CAs drop clientAuth in 2026)".into()];
            }
        }
        AppType::Iot => {
            if app.update_mechanism == UpdateMechanism::OtaSigned {
                d.verdict = Verdict::Pin;
                d.level = Some(Level::PrivateRoot);
                d.backup = Some("an offline backup root".into());
                d.reasons
                    .push("a signed over-the-air update path can replace pins".into());
            } else {
                d.reasons
                    .push("without a verified OTA path a pin change bricks the device".into());
                d.instead = vec![
                    "mTLS with a private CA".into(),
                    "device attestation".into(),
                    "network segmentation".into(),
                ];
            }
        }
        AppType::ThirdParty => {
            let published = app.hosts.iter().all(|h| {
                policy
                    .partners
                    .iter()
                    .any(|p| p.publishes_pins && p.hosts.iter().any(|ph| ph == h))
            }) && !app.hosts.is_empty();
            if published {
                d.verdict = Verdict::Pin;
                d.level = Some(Level::PartnerPublished);
                d.backup = Some("the partner's published backup key".into());
                d.reasons
                    .push("the partner publishes pin sets and announces changes".into());
            } else {
                d.reasons.push(
                    "the partner publishes no pin set: its changes would break the app unannounced"
                        .into(),
                );
                d.instead = vec![
                    "CT monitoring and standard validation".into(),
                    "mTLS or request signing".into(),
                ];
            }
        }
        AppType::Desktop => {
            let own = !app.hosts.is_empty()
                && app
                    .hosts
                    .iter()
                    .all(|h| policy.endpoints.iter().any(|e| e.host == *h));
            if own && app.update_mechanism == UpdateMechanism::MandatoryAutoUpdate {
                d.verdict = Verdict::Pin;
                d.level = Some(Level::Ca);
                d.backup = Some("a second CA's root".into());
                d.reasons
                    .push("own infrastructure and a mandatory auto-update".into());
            } else {
                d.reasons.push("pinning a desktop app needs both own infrastructure and a mandatory auto-update".into());
                d.instead = vec![ct_caa()];
            }
        }
    }
    if d.verdict == Verdict::Pin {
        apply_gates(&mut d, radar);
    }
    d
}

/// The radar's closed gates turn a "pin" into conditions, or into "not ready".
fn apply_gates(d: &mut Decision, radar: &Radar) {
    for gate in gates(radar).into_iter().filter(|g| g.closed) {
        d.reasons.push(format!("gate: {}", gate.rule));
        match gate.effect {
            Effect::NotReady => d.verdict = Verdict::NotReady,
            Effect::ReportOnly if d.verdict == Verdict::Pin => {
                d.verdict = Verdict::PinWithConditions;
            }
            Effect::ReportOnly | Effect::NoLeafPins => {}
        }
    }
}
