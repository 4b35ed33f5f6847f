//! The rules. Each is a `Rule` (what it is and where it comes from) and a
//! check over the policy; sources are ../shared/FRAMEWORK.md's tables and the
//! RFCs and platform behaviours it cites.

use std::ops::Range;

use super::{Context, Rule, Severity};
use crate::cadata::{DistrustKind, KeyFacts, Stated};
use crate::cert::Level;
use crate::pinset::PinRole;
use crate::policy::{
    AppType, Policy, PolicyPin, PolicyPinSet, RunbookKind, Telemetry, UpdateMechanism,
};

type Found = Vec<(String, Option<Range<usize>>)>;
type Check = fn(&Policy, &Context<'_>, &mut Found);

/// Every rule with its check, in id order.
pub(super) static CHECKS: &[(&Rule, Check)] = &[
    (&MISSING_BACKUP, missing_backup),
    (&SINGLE_CA, single_ca),
    (&LEAF_PINS_SHORT_LIVED, leaf_pins_short_lived),
    (&LETS_ENCRYPT_INTERMEDIATE, lets_encrypt_intermediate),
    (&WEB_APP_PINNED, web_app_pinned),
    (&THIRD_PARTY_UNPUBLISHED, third_party_unpublished),
    (&IOT_WITHOUT_SIGNED_OTA, iot_without_signed_ota),
    (&MOBILE_SLOW_WITHOUT_REMOTE, mobile_slow_without_remote),
    (&NO_EXPIRY, no_expiry),
    (&NO_REPORTING, no_reporting),
    (&NO_OWNER, no_owner),
    (&RUNBOOKS, runbooks),
    (&HOST_GAP, host_gap),
    (&UNUSED_PINSET, unused_pinset),
    (&EXPIRED_PINSET, expired_pinset),
    (&EXPIRES_BEFORE_UPDATE, expires_before_update),
    (&DISTRUSTED_CA, distrusted_ca),
    (&BACKUP_IN_CHAIN, backup_in_chain),
    (&CA_EXPIRES_FIRST, ca_expires_first),
    (&FINGERPRINT_AS_PIN, fingerprint_as_pin),
    (&BACKUP_CA_NOT_PINNED, backup_ca_not_pinned),
    (&NO_PRIMARY, no_primary),
    (&OVERLAPPING_SETS, overlapping_sets),
];

/// The pin sets an application uses, that exist.
fn sets_of<'a>(
    policy: &'a Policy,
    ids: &'a [toml::Spanned<String>],
) -> impl Iterator<Item = &'a PolicyPinSet> {
    ids.iter().filter_map(|id| policy.pinset(id.get_ref()))
}

/// What `pin` is: the dataset's facts for a key it knows, the policy's
/// statements otherwise; a key some served chain carries first is a leaf.
fn facts<'a>(pin: &'a PolicyPin, context: &Context<'a>) -> KeyFacts<'a> {
    let key = pin.pin.get_ref();
    let mut facts = context.keys.identify(
        key,
        Stated {
            level: pin.level,
            label: pin.label.as_deref(),
            source: pin.source.as_deref(),
        },
    );
    if facts.known.is_none()
        && context
            .served
            .iter()
            .any(|s| s.chain.first().is_some_and(|c| c.pin == *key))
    {
        facts.level = Some(Level::Leaf);
    }
    facts
}

static MISSING_BACKUP: Rule = Rule {
    id: "PW001",
    severity: Severity::Error,
    title: "enforced pin set without a backup pin",
    explanation: "Without a key held in reserve, any rotation, CA change or emergency re-issuance \
                  locks clients out until they update (RFC 7469 §4.3 requires a backup pin; \
                  TrustKit refuses fewer than two pins).",
    fix: "Add a pin with role = \"backup\": a root of a second CA, or a pre-generated key.",
};

fn missing_backup(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for set in policy.pinsets.iter().filter(|s| s.enforce) {
        if !set.pins.iter().any(|p| p.role == PinRole::Backup) {
            out.push((
                format!("pin set {:?} has no backup pin", set.id.get_ref()),
                Some(set.id.span()),
            ));
        }
    }
}

static SINGLE_CA: Rule = Rule {
    id: "PW002",
    severity: Severity::Error,
    title: "every pin comes from one CA",
    explanation: "If that CA is distrusted or compelled (Symantec was distrusted over about 18 \
                  months), no certificate that satisfies the pins can be had: a vendor lock-in \
                  with no escape (framework: decision table, second question).",
    fix: "Add a backup pin from a second CA, ideally the contracted backup CA.",
};

fn single_ca(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        // Every pin must be a CA key whose operator is known (by key, or by
        // a `ca:` source for a key the dataset doesn't hold): a leaf key, a
        // private or partner key, or an unknown one may be the escape.
        let operators: Option<Vec<String>> = set
            .pins
            .iter()
            .map(|p| {
                let f = facts(p, context);
                let ca_key = f.level != Some(Level::Leaf) && !f.private;
                f.operator.filter(|_| ca_key).map(|o| o.into_owned())
            })
            .collect();
        let Some(operators) = operators.filter(|o| !o.is_empty()) else {
            continue;
        };
        if operators
            .iter()
            .all(|o| crate::cadata::same_name(o, &operators[0]))
        {
            out.push((
                format!(
                    "every pin of pin set {:?} is a key of {}",
                    set.id.get_ref(),
                    operators[0]
                ),
                Some(set.id.span()),
            ));
        }
    }
}

static LEAF_PINS_SHORT_LIVED: Rule = Rule {
    id: "PW003",
    severity: Severity::Warning,
    title: "leaf pins while certificates live 100 days or less within the pin set's life",
    explanation: "A leaf pin changes at every key rotation: at 47-day certificates that is about \
                  8 pin changes a year, each a chance of lock-out (framework: cost equation). \
                  CA/B Forum ballot SC-081 caps public certificates at 200 days from 2026-03-15, \
                  100 from 2027-03-15 and 47 from 2029-03-15, whatever lifetime a policy states; \
                  a pin set without an expiry lives into the last step.",
    fix: "Pin the CA level (intermediate or root) with a backup from a second CA, or pre-generate \
          the next leaf key and pin it as the backup.",
};

fn leaf_pins_short_lived(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        let end = set
            .expires
            .as_ref()
            .and_then(|e| crate::policy::calendar_date(e.get_ref()));
        // The lifetime stated for the certificates this set's hosts carry:
        // the shortest an application using it states, else the organisation's.
        let stated = policy
            .applications
            .iter()
            .filter(|a| a.pinsets.iter().any(|id| id.get_ref() == set.id.get_ref()))
            .filter_map(|a| a.certificate_lifetime_days)
            .min()
            .or(policy.organisation.certificate_lifetime_days);
        let (step, cap) = crate::lifetime::shortest_until(end);
        let limit = stated.map_or(cap, |d| d.min(cap));
        if limit > 100 {
            continue;
        }
        let why = match (stated, step) {
            (Some(days), _) if days <= cap => format!("certificates live {days} days"),
            (_, Some(from)) => {
                let until = end.map_or_else(
                    || "it has no expiry, so".to_owned(),
                    |e| format!("before it expires on {e}"),
                );
                let over = match stated {
                    Some(days) if days > crate::lifetime::max_days_on(context.today) => format!(
                        " (the {days} days stated can't be issued today: at most {})",
                        crate::lifetime::max_days_on(context.today)
                    ),
                    Some(days) => format!(" (not the {days} days stated)"),
                    None => String::new(),
                };
                format!(
                    "{until} certificates live at most {cap} days under SC-081 from {from}{over}"
                )
            }
            (_, None) => format!("certificates live at most {cap} days"),
        };
        for pin in &set.pins {
            if facts(pin, context).level == Some(Level::Leaf) {
                out.push((
                    format!("pin set {:?} pins a leaf key while {why}", set.id.get_ref()),
                    Some(pin.pin.span()),
                ));
            }
        }
    }
}

static LETS_ENCRYPT_INTERMEDIATE: Rule = Rule {
    id: "PW004",
    severity: Severity::Error,
    title: "an intermediate its CA rotates without notice is pinned",
    explanation: "Let's Encrypt (and other CAs that say so: the dataset's `rotates_intermediates` \
                  cites each) moves issuance among several intermediates on purpose, without \
                  notice to subscribers: a pinned intermediate breaks at the next rotation \
                  (framework: facts; the CAs' chain documentation).",
    fix: "Pin the CA's roots instead (for Let's Encrypt, ISRG Root X1 and X2), with a backup \
          from another CA.",
};

fn lets_encrypt_intermediate(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        for pin in &set.pins {
            let f = facts(pin, context);
            if f.level != Some(Level::Intermediate) {
                continue;
            }
            let ca = match f.known {
                Some((ca, _)) => Some(ca),
                None => f
                    .operator
                    .as_deref()
                    .and_then(|o| context.keys.cas.by_name(o)),
            };
            let Some((ca, source)) =
                ca.and_then(|c| Some((c, c.rotates_intermediates.as_deref()?)))
            else {
                continue;
            };
            out.push((
                format!(
                    "pin set {:?} pins {}, an intermediate of {}, which rotates its intermediates without notice ({source})",
                    set.id.get_ref(),
                    f.name(),
                    ca.name
                ),
                Some(pin.pin.span()),
            ));
        }
    }
}

static WEB_APP_PINNED: Rule = Rule {
    id: "PW005",
    severity: Severity::Error,
    title: "a browser web app has pin sets",
    explanation: "Browsers removed HPKP (Chrome 72, Firefox 72) after lock-outs; a web app has no \
                  pinning to configure, and a header would only be ignored (framework: decision \
                  table, web).",
    fix: "Drop the pin sets; monitor CT for the domains and restrict issuers with CAA.",
};

fn web_app_pinned(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for app in policy
        .applications
        .iter()
        .filter(|a| a.app_type == AppType::Web && !a.pinsets.is_empty())
    {
        out.push((
            format!("web application {:?} uses pin sets", app.id.get_ref()),
            Some(app.id.span()),
        ));
    }
}

static THIRD_PARTY_UNPUBLISHED: Rule = Rule {
    id: "PW006",
    severity: Severity::Error,
    title: "a third party's host is pinned without a pin set the partner publishes",
    explanation: "A partner changes keys and CAs on its own schedule; pins it doesn't publish and \
                  announce break without warning (framework: decision table, third-party API).",
    fix: "Pin only what the partner publishes, with its notice period in the runbook; otherwise \
          rely on standard validation, CT monitoring, and mTLS or request signing.",
};

fn third_party_unpublished(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for app in policy
        .applications
        .iter()
        .filter(|a| a.app_type == AppType::ThirdParty)
    {
        for set in sets_of(policy, &app.pinsets) {
            let published = set.hosts.iter().all(|pattern| {
                policy.partners.iter().any(|partner| {
                    partner.publishes_pins == Some(true)
                        && partner.hosts.iter().any(|h| pattern.matches(h))
                })
            });
            if !published {
                out.push((
                    format!(
                        "application {:?} pins {:?}, whose hosts no partner publishes pins for",
                        app.id.get_ref(),
                        set.id.get_ref()
                    ),
                    Some(app.id.span()),
                ));
            }
        }
    }
}

static IOT_WITHOUT_SIGNED_OTA: Rule = Rule {
    id: "PW007",
    severity: Severity::Error,
    title: "IoT devices pin without signed over-the-air updates",
    explanation: "A device that can't receive a verified pin update is bricked by the first CA or \
                  key change (framework: decision table, IoT: pin only with a tested OTA path).",
    fix: "Ship signed OTA first; until then use mTLS with a private CA instead of pins.",
};

fn iot_without_signed_ota(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for app in policy
        .applications
        .iter()
        .filter(|a| a.app_type == AppType::Iot && !a.pinsets.is_empty())
    {
        if app.update_mechanism != Some(UpdateMechanism::OtaSigned) {
            out.push((
                format!(
                    "IoT application {:?} pins without signed OTA updates",
                    app.id.get_ref()
                ),
                Some(app.id.span()),
            ));
        }
    }
}

static MOBILE_SLOW_WITHOUT_REMOTE: Rule = Rule {
    id: "PW008",
    severity: Severity::Error,
    title: "a mobile app pins, updates slowly, and can't change pins remotely",
    explanation: "When an update takes more than 7 days to reach 95% of users, a pin change waits \
                  for the slowest of them; a remote pin configuration is the framework's condition \
                  for pinning mobile apps (framework: five questions, first).",
    fix: "Add a signed remote pin configuration (pinwarden manifests), or don't pin.",
};

fn mobile_slow_without_remote(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for app in policy
        .applications
        .iter()
        .filter(|a| a.app_type == AppType::Mobile && !a.pinsets.is_empty())
    {
        let slow = app.update_days_to_95.is_none_or(|d| d > 7)
            && app.update_hours_to_95.is_none_or(|h| h > 7 * 24);
        if slow && app.remote_pin_config != Some(true) {
            let days = app
                .update_days_to_95
                .map_or("an unknown number of".to_owned(), |d| d.to_string());
            out.push((
                format!(
                    "mobile application {:?} takes {days} days to update and has no remote pin configuration",
                    app.id.get_ref()
                ),
                Some(app.id.span()),
            ));
        }
    }
}

static NO_EXPIRY: Rule = Rule {
    id: "PW009",
    severity: Severity::Warning,
    title: "an enforced mobile pin set has no expiry",
    explanation: "Android's Network Security Config and TrustKit stop enforcing an expired pin set: \
                  an expiry bounds the damage of a forgotten pin set on clients that never update \
                  (platform behaviour; framework: facts).",
    fix: "Set expires = a date within the pins' planned lifetime.",
};

fn no_expiry(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for set in policy
        .pinsets
        .iter()
        .filter(|s| s.enforce && s.expires.is_none())
    {
        let mobile = policy.applications.iter().any(|a| {
            a.app_type == AppType::Mobile
                && a.pinsets.iter().any(|id| id.get_ref() == set.id.get_ref())
        });
        if mobile {
            out.push((
                format!("pin set {:?} never expires", set.id.get_ref()),
                Some(set.id.span()),
            ));
        }
    }
}

static NO_REPORTING: Rule = Rule {
    id: "PW010",
    severity: Severity::Warning,
    title: "enforced pins with no failure reporting",
    explanation: "Without pin-failure reports, the first sign of a pinning mistake is users \
                  reporting outages; with them, staged rollouts catch mistakes (framework: five \
                  questions, third).",
    fix: "Set report_uri on the pin set (pinwarden serve collects TrustKit and RFC 7469 reports).",
};

fn no_reporting(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    let no_telemetry = matches!(policy.organisation.telemetry, None | Some(Telemetry::None));
    for set in policy
        .pinsets
        .iter()
        .filter(|s| s.enforce && s.report_uri.is_none())
    {
        let detail = if no_telemetry {
            " and the organisation has no pin-failure telemetry"
        } else {
            ""
        };
        out.push((
            format!(
                "pin set {:?} enforces without a report_uri{detail}",
                set.id.get_ref()
            ),
            Some(set.id.span()),
        ));
    }
}

static NO_OWNER: Rule = Rule {
    id: "PW011",
    severity: Severity::Warning,
    title: "no owner for the pin configuration",
    explanation: "Someone must review pins at every certificate and CA change; an unowned pin set \
                  is the one that gets forgotten (framework: five questions, fifth).",
    fix: "Set owner on the organisation and on each application.",
};

fn no_owner(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    if policy.organisation.owner.is_none() && !policy.pinsets.is_empty() {
        out.push((
            "the organisation names no owner of the pin lifecycle".to_owned(),
            None,
        ));
    }
    for app in policy.applications.iter().filter(|a| a.owner.is_none()) {
        out.push((
            format!("application {:?} has no owner", app.id.get_ref()),
            Some(app.id.span()),
        ));
    }
}

static RUNBOOKS: Rule = Rule {
    id: "PW012",
    severity: Severity::Warning,
    title: "a runbook is missing or not rehearsed in the last 12 months",
    explanation: "Rotation, CA migration and emergency re-issuance each need \"update the pins\" \
                  as a step, rehearsed, or the step is skipped under pressure (framework: five \
                  questions, fourth; PKI Health Radar, ownership and runbooks).",
    fix: "Write the missing runbooks (pinwarden runbook drafts them) and rehearse each yearly.",
};

fn runbooks(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    if policy.pinsets.is_empty() {
        return;
    }
    let year_ago = context.today - time::Duration::days(365);
    for kind in [
        RunbookKind::Rotation,
        RunbookKind::CaMigration,
        RunbookKind::EmergencyReissue,
    ] {
        let name = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match policy.organisation.runbooks.iter().find(|r| r.kind == kind) {
            None => out.push((format!("no {name} runbook"), None)),
            Some(book) => {
                match book.last_rehearsed.as_ref() {
                    None => out.push((
                        format!("the {name} runbook ({}) was never rehearsed", book.path),
                        None,
                    )),
                    Some(date) => {
                        let when = crate::policy::calendar_date(date.get_ref());
                        if when.is_none_or(|d| d < year_ago) {
                            out.push((
                            format!("the {name} runbook was last rehearsed on {}, over 12 months ago", date.get_ref()),
                            Some(date.span()),
                        ));
                        }
                    }
                }
            }
        }
    }
}

static HOST_GAP: Rule = Rule {
    id: "PW013",
    severity: Severity::Warning,
    title: "an application's host is not covered by its pin sets",
    explanation: "Patterns follow OkHttp: `*.example.com` matches one label and not the apex, \
                  `**.example.com` any depth and the apex; a host outside every pattern is not \
                  pinned at all (platform behaviour).",
    fix: "Add the host, or use `**.` where the apex and deeper names are meant.",
};

fn host_gap(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for app in policy.applications.iter().filter(|a| !a.pinsets.is_empty()) {
        let sets: Vec<_> = sets_of(policy, &app.pinsets)
            .map(PolicyPinSet::to_pinset)
            .collect();
        for host in &app.hosts {
            if !sets.iter().any(|s| s.covers(host)) {
                out.push((
                    format!(
                        "application {:?} talks to {host}, which none of its pin sets covers",
                        app.id.get_ref()
                    ),
                    Some(app.id.span()),
                ));
            }
        }
    }
}

static UNUSED_PINSET: Rule = Rule {
    id: "PW014",
    severity: Severity::Info,
    title: "a pin set no application uses",
    explanation: "An unused pin set still looks authoritative in reviews and exports, and the pin \
                  inventory stops matching what ships (framework: PKI Health Radar, ownership and \
                  runbooks: a named owner and a pin inventory).",
    fix: "Reference it from the application that ships it, or remove it.",
};

fn unused_pinset(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        let used = policy
            .applications
            .iter()
            .any(|a| a.pinsets.iter().any(|id| id.get_ref() == set.id.get_ref()));
        if !used {
            out.push((
                format!("no application uses pin set {:?}", set.id.get_ref()),
                Some(set.id.span()),
            ));
        }
    }
}

static EXPIRED_PINSET: Rule = Rule {
    id: "PW015",
    severity: Severity::Error,
    title: "a pin set has expired",
    explanation: "Android and TrustKit stop enforcing after the expiry (clients fail open); iOS \
                  NSPinnedDomains has no expiry and keeps enforcing: the platforms now disagree \
                  (platform behaviour).",
    fix: "Renew the pin set with a new expiry, or retire it deliberately.",
};

fn expired_pinset(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        if let Some(expires) = &set.expires
            && crate::policy::calendar_date(expires.get_ref()).is_some_and(|d| d < context.today)
        {
            out.push((
                format!(
                    "pin set {:?} expired on {}",
                    set.id.get_ref(),
                    expires.get_ref()
                ),
                Some(expires.span()),
            ));
        }
    }
}

static EXPIRES_BEFORE_UPDATE: Rule = Rule {
    id: "PW016",
    severity: Severity::Warning,
    title: "a pin set expires sooner than an update can replace it",
    explanation: "The time left before a pin set expires is the window to roll out its successor; \
                  when an update takes longer to reach 95% of clients than that window, the \
                  successor arrives late and clients fall back or break (framework: five questions, \
                  first; lead time = update time + overlap).",
    fix: "Ship the successor pin set now, or extend the expiry while it rolls out.",
};

fn expires_before_update(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for app in &policy.applications {
        let Some(update_days) = app.update_days_to_95 else {
            continue;
        };
        for set in sets_of(policy, &app.pinsets) {
            let Some(expires) = &set.expires else {
                continue;
            };
            let Some(date) = crate::policy::calendar_date(expires.get_ref()) else {
                continue;
            };
            let left = (date - context.today).whole_days();
            if (0..i64::from(update_days)).contains(&left) {
                out.push((
                    format!(
                        "pin set {:?} expires in {left} days, but updates of {:?} take {update_days} days to reach 95% of clients",
                        set.id.get_ref(),
                        app.id.get_ref()
                    ),
                    Some(expires.span()),
                ));
            }
        }
    }
}

static DISTRUSTED_CA: Rule = Rule {
    id: "PW017",
    severity: Severity::Error,
    title: "a pinned key is a distrusted or soon-distrusted CA's",
    explanation: "Root programs distrust CAs (Symantec 2018, Camerfirma 2021, TrustCor 2022, \
                  Entrust 2024, Chunghwa Telecom and NetLock 2025) and roots expire (DST Root CA \
                  X3, 2021); a pin to such a root, or to an intermediate under no other root, can \
                  only be satisfied by certificates clients will reject (framework: facts; the \
                  dated dataset in data/distrust.toml, by key).",
    fix: "Move to another CA and replace the pin; keep the old one only until the move is done.",
};

fn distrusted_ca(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        for pin in &set.pins {
            let f = facts(pin, context);
            let Some(event) = f.distrust else {
                continue;
            };
            let tense = if event.effective <= context.today {
                "since"
            } else {
                "from"
            };
            let when = event.effective;
            let what = match event.kind {
                DistrustKind::Expired => format!("expired {tense} {when}"),
                DistrustKind::Distrusted => format!("distrusted {tense} {when}"),
                DistrustKind::IssuedAfter => {
                    format!("whose certificates issued after {when} are distrusted")
                }
            };
            out.push((
                format!(
                    "pin set {:?} pins {}, {what} ({}: {})",
                    set.id.get_ref(),
                    f.name(),
                    event.name,
                    event.event
                ),
                Some(pin.pin.span()),
            ));
        }
    }
}

static BACKUP_IN_CHAIN: Rule = Rule {
    id: "PW018",
    severity: Severity::Error,
    title: "a \"backup\" pin is in the chain a host serves today",
    explanation: "A backup must be a key the current chain does not use, or the day that chain \
                  goes (rotation, CA change) the backup goes with it (RFC 7469 §4.3; framework: \
                  decision table, mobile).",
    fix: "Make the backup a root of a second CA, or a pre-generated key kept offline.",
};

fn backup_in_chain(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        let pinset = set.to_pinset();
        let backups = set.pins.iter().filter(|p| p.role == PinRole::Backup);
        for pin in backups {
            let backup = pin.pin.get_ref();
            let served = context
                .served
                .iter()
                .filter(|s| pinset.covers(&s.host))
                .find(|s| s.chain.iter().any(|c| c.pin == *backup));
            if let Some(served) = served {
                out.push((
                    format!(
                        "pin set {:?}: backup {} is in the chain {} serves",
                        set.id.get_ref(),
                        backup,
                        served.host
                    ),
                    Some(pin.pin.span()),
                ));
                continue;
            }
            // By the dataset: a backup above or below a primary key is in
            // the same chain (ISRG Root X2 is cross-signed by X1; R10 is X1's).
            let primaries = set.pins.iter().filter(|p| p.role == PinRole::Primary);
            let related = primaries.map(|p| p.pin.get_ref()).find(|primary| {
                context.keys.under(primary, backup) || context.keys.under(backup, primary)
            });
            if let Some(primary) = related {
                let name = |p| facts_of(p, context).name();
                out.push((
                    format!(
                        "pin set {:?}: backup {} and primary {} are in one chain",
                        set.id.get_ref(),
                        name(backup),
                        name(primary)
                    ),
                    Some(pin.pin.span()),
                ));
            }
        }
    }
}

/// What a bare key is.
fn facts_of<'a>(pin: &crate::SpkiPin, context: &Context<'a>) -> KeyFacts<'a> {
    context.keys.identify(pin, Stated::default())
}

static CA_EXPIRES_FIRST: Rule = Rule {
    id: "PW019",
    severity: Severity::Warning,
    title: "a pinned CA certificate expires before the pin set does",
    explanation: "After the CA certificate expires, no chain through it validates; a pin set that \
                  outlives every certificate its pins name can't be satisfied at all, and one that \
                  outlives some has less of an escape than it seems (DST Root CA X3, 2021-09-30; \
                  framework: facts). A set without an expiry is judged over the next five years.",
    fix: "Pin the CA's successor key as well, or end the pin set before the certificate.",
};

/// How far ahead a pin set without an expiry is judged: an installed app
/// or device can run unchanged for years; five is a common support window.
const NO_EXPIRY_HORIZON: time::Duration = time::Duration::days(5 * 365);

fn ca_expires_first(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        let expires = set
            .expires
            .as_ref()
            .and_then(|e| crate::policy::calendar_date(e.get_ref()));
        for pin in &set.pins {
            let f = facts(pin, context);
            // The dataset's date for a key it knows; else the latest of the
            // CA certificates at hand that carry it.
            let ends = match f.not_after {
                Some(end) if f.is_ca() => Some((end, f.name())),
                _ => context
                    .certificates
                    .iter()
                    .filter(|c| c.pin == *pin.pin.get_ref() && c.is_ca)
                    .filter_map(|c| {
                        c.facts()
                            .ok()
                            .map(|x| (x.not_after.date(), x.subject.clone()))
                    })
                    .max(),
            };
            let Some((end, name)) = ends else {
                continue;
            };
            let runs = match expires {
                Some(expires) if end < expires => format!("runs to {expires}"),
                None if end < context.today + NO_EXPIRY_HORIZON => {
                    "has no expiry (clients enforce it until they update)".to_owned()
                }
                _ => continue,
            };
            out.push((
                format!(
                    "pin set {:?} {runs}, but {name} (pinned) expires on {end}",
                    set.id.get_ref()
                ),
                Some(pin.pin.span()),
            ));
        }
    }
}

static FINGERPRINT_AS_PIN: Rule = Rule {
    id: "PW020",
    severity: Severity::Error,
    title: "a certificate hash where an SPKI pin belongs",
    explanation: "A pin is the SHA-256 of the public key (RFC 7469 §2.4); the SHA-256 of a whole \
                  certificate matches nothing a client computes, so the pin never matches and, \
                  enforced, locks clients out at once.",
    fix: "Replace it with the certificate's SPKI pin: `pinwarden pin CERT` prints it.",
};

fn fingerprint_as_pin(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        for pin in &set.pins {
            let pasted = context
                .certificates
                .iter()
                .chain(context.served.iter().flat_map(|s| &s.chain))
                .find(|c| {
                    c.facts()
                        .is_ok_and(|f| f.fingerprint_sha256 == *pin.pin.get_ref().as_bytes())
                });
            if let Some(cert) = pasted {
                out.push((
                    format!(
                        "pin set {:?}: {} is the certificate fingerprint of {}, not its key's pin {}",
                        set.id.get_ref(),
                        pin.pin.get_ref(),
                        cert.display_name(),
                        cert.pin
                    ),
                    Some(pin.pin.span()),
                ));
            }
        }
    }
}

static BACKUP_CA_NOT_PINNED: Rule = Rule {
    id: "PW021",
    severity: Severity::Error,
    title: "the organisation's backup CA holds no key in an enforced pin set",
    explanation: "The backup CA is where certificates come from when the current CA fails \
                  (framework: five questions, second); a pin set with no key of it (and no leaf \
                  key of the organisation's own, which any CA can certify) rejects every chain \
                  the backup CA issues, so the failover is a lock-out.",
    fix: "Add a root of the backup CA to the pin set as a backup pin, or a pre-generated key.",
};

fn backup_ca_not_pinned(policy: &Policy, context: &Context<'_>, out: &mut Found) {
    let Some(backup) = policy.organisation.backup_ca.as_deref() else {
        return;
    };
    let backup = context
        .keys
        .cas
        .by_name(backup)
        .map_or(backup, |ca| ca.name.as_str());
    for set in policy.pinsets.iter().filter(|s| s.enforce) {
        let all: Vec<KeyFacts<'_>> = set.pins.iter().map(|p| facts(p, context)).collect();
        let public = all.iter().any(|f| !f.private);
        let held = all.iter().any(|f| {
            f.level == Some(Level::Leaf)
                || f.operator
                    .as_deref()
                    .is_some_and(|o| crate::cadata::same_name(o, backup))
        });
        if public && !held {
            out.push((
                format!(
                    "pin set {:?} holds no key of {backup}, the backup CA: its chains would be rejected",
                    set.id.get_ref()
                ),
                Some(set.id.span()),
            ));
        }
    }
}

static NO_PRIMARY: Rule = Rule {
    id: "PW022",
    severity: Severity::Error,
    title: "every pin of a pin set is a backup",
    explanation: "RFC 7469 §4.3 has one pin match the chain in use and the backup stay outside \
                  it; a set whose pins are all marked backup says none matches today's chain, so \
                  either the enforced set rejects it now, or the roles are wrong and the backup \
                  checks (PW001, PW018) see nothing.",
    fix: "Mark the key of the chain in use as role = \"primary\".",
};

fn no_primary(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    for set in &policy.pinsets {
        if !set.pins.is_empty() && set.pins.iter().all(|p| p.role == PinRole::Backup) {
            out.push((
                format!("every pin of pin set {:?} is a backup", set.id.get_ref()),
                Some(set.id.span()),
            ));
        }
    }
}

static OVERLAPPING_SETS: Rule = Rule {
    id: "PW023",
    severity: Severity::Warning,
    title: "two pin sets cover the same host",
    explanation: "Clients apply one set per host; pinwarden's clients take the most specific pattern, \
                  an enforced set before a report-only one, but platforms differ (OkHttp checks every \
                  matching pattern, Android's Network Security Config the most specific domain), so an \
                  overlap means different pins on different platforms (platform behaviour).",
    fix: "Give each host one pin set: narrow the broad pattern, or merge the sets.",
};

fn overlapping_sets(policy: &Policy, _: &Context<'_>, out: &mut Found) {
    let sets: Vec<crate::PinSet> = policy.pinsets.iter().map(PolicyPinSet::to_pinset).collect();
    for (i, a) in sets.iter().enumerate() {
        for (j, b) in sets.iter().enumerate().skip(i + 1) {
            // A host both reach, if any: a pattern's own domain, or one
            // label below it, is a witness for every kind of overlap.
            let witness = a
                .effective_hosts()
                .iter()
                .chain(b.effective_hosts().iter())
                .flat_map(|p| [p.domain().to_owned(), format!("overlap.{}", p.domain())])
                .find(|host| a.covers(host) && b.covers(host));
            let Some(host) = witness else {
                continue;
            };
            let both = [a.clone(), b.clone()];
            let winner = crate::set_for_host(&both, &host).map_or("", |(s, _)| s.id.as_str());
            out.push((
                format!(
                    "pin sets {:?} and {:?} both cover {host}; pinwarden's clients apply {winner:?} there",
                    a.id, b.id
                ),
                Some(policy.pinsets[j].id.span()),
            ));
        }
    }
}
