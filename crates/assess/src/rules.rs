//! The decision rules as data: one row per rule of the framework (sections
//! A–C of its decision rules), each with a stable id, the section it comes
//! from, the policy facts it reads, how it is checked and what it does to a
//! verdict when it is not met or not stated. [`evaluate`] runs the table for
//! one application and records a trace; verdicts, the five questions and the
//! gates are all read from such traces.

use pinwarden_core::policy::AppType;

use crate::decision::Verdict;
use crate::facts::{AppFacts, Fact, Facts, OrgFacts, Speed};

/// How a rule stands for an application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleStatus {
    /// The facts satisfy it.
    Met,
    /// The facts contradict it.
    NotMet,
    /// The policy doesn't state the facts it needs.
    NotStated,
    /// It doesn't concern this type of application.
    NotApplicable,
}

/// What a rule does to a verdict when it isn't met (or its facts aren't stated).
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// The most a verdict can be.
    pub cap: Verdict,
    /// Why, and what follows, in a sentence.
    pub then: &'static str,
    /// What to do instead of, or before, pinning.
    pub instead: &'static [&'static str],
}

/// How a rule is checked against the facts.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    /// Met when this organisation fact is true.
    Org(fn(&OrgFacts) -> &Fact<bool>),
    /// Met when this application fact is true.
    App(fn(&AppFacts) -> &Fact<bool>),
    /// Met when this application fact is false.
    AppNot(fn(&AppFacts) -> &Fact<bool>),
    /// Met when new pins reach 95% of clients at this speed or faster.
    Speed(Speed),
    /// Never met (for the type it applies to).
    Never(&'static str),
}

/// One rule of the framework.
#[derive(Debug)]
pub struct Rule {
    /// Stable id (`A3`, `B1`, `C-iot-tested`).
    pub id: &'static str,
    /// Where in the framework it comes from.
    pub section: &'static str,
    /// What must hold, in the product's words.
    pub asks: &'static str,
    /// The application types it concerns.
    pub applies: &'static [AppType],
    /// The policy facts it reads.
    pub reads: &'static [&'static str],
    /// How it is checked.
    pub check: Check,
    /// What follows when it is not met.
    pub not_met: Outcome,
    /// What follows when its facts are not stated.
    pub not_stated: Outcome,
}

use AppType::{Desktop, Iot, Mobile, Service, ThirdParty, Web};

const ALL_BUT_WEB: &[AppType] = &[Mobile, Service, Iot, ThirdParty, Desktop];
const CT_CAA: &str =
    "CT monitoring for its domains and CAA records restricting which CAs may issue";
const LIFECYCLE: &str = "automated certificate lifecycle management";

/// The rule table, in the framework's order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "A1",
        section: "Decision rules A.1; C, third-party API",
        asks: "both ends are under control: its hosts are the organisation's own, or a partner's that publishes pin sets and commits to advance notice",
        applies: ALL_BUT_WEB,
        reads: &[
            "application.hosts",
            "endpoint.host",
            "partner.publishes_pins",
            "partner.notice_days",
        ],
        check: Check::App(|a| &a.endpoints_controlled),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "a host belongs to a partner that publishes no pins or commits to no notice: its certificate changes would break the pins unannounced",
            instead: &[
                "CT monitoring and standard TLS validation for the partner's hosts",
                "mTLS or request signing with the partner",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state who runs each host: an [[endpoint]] of the organisation, or a [[partner]] host with publishes_pins and notice_days",
            instead: &[],
        },
    },
    Rule {
        id: "A3",
        section: "Decision rules A.3",
        asks: "it handles data sensitive enough to justify pinning's overhead (financial, health, auth tokens, regulated)",
        applies: ALL_BUT_WEB,
        reads: &["application.data"],
        check: Check::App(|a| &a.sensitive),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "its data doesn't justify the lock-out risk pinning brings",
            instead: &[CT_CAA, LIFECYCLE],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state the data it handles (data = [\"financial\", …]): pinning pays only for sensitive data",
            instead: &[],
        },
    },
    Rule {
        id: "B1",
        section: "Decision rules A.2 and B.1; question 1",
        asks: "new pins reach 95% of its clients within a week through its fastest path",
        applies: ALL_BUT_WEB,
        reads: &[
            "application.remote_pin_config",
            "application.remote_pin_refresh_hours",
            "application.update_mechanism",
            "application.update_days_to_95",
            "application.update_hours_to_95",
        ],
        check: Check::Speed(Speed::Days),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "replacing its pins would take weeks or depend on users updating: without a remote pin configuration, don't pin",
            instead: &[
                "a signed remote pin configuration (pinwarden manifests) before any pinning",
                CT_CAA,
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state how fast new pins reach 95% of its clients (update_days_to_95 or update_hours_to_95, or remote_pin_config)",
            instead: &[],
        },
    },
    Rule {
        id: "B2",
        section: "Decision rules B.2; D",
        asks: "most certificate renewals are automated (at least half)",
        applies: ALL_BUT_WEB,
        reads: &["organisation.automated_renewal_percent"],
        check: Check::Org(|o| &o.automated),
        not_met: Outcome {
            cap: Verdict::NotReady,
            then: "pinning on top of mostly manual certificate management is an outage waiting to happen: automate first",
            instead: &[
                "automate certificate renewal and deployment (ACME or the CA's API), then reassess",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state how many certificate renewals are automated (automated_renewal_percent)",
            instead: &[],
        },
    },
    Rule {
        id: "B3",
        section: "Decision rules B.3; question 2",
        asks: "its pin sets hold keys of a second CA, an escape hatch when the CA must change",
        applies: &[Mobile, Service, Desktop],
        reads: &[
            "pinset.pins (keys, source)",
            "organisation.backup_ca",
            "organisation.cas",
        ],
        check: Check::App(|a| &a.second_ca_key),
        not_met: Outcome {
            cap: Verdict::PinWithConditions,
            then: "its pins lock it to one CA: a vendor dependency with no escape hatch if that CA is distrusted",
            instead: &["add a backup pin of a second CA's root or intermediate key"],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state the CA behind each pin (source = \"ca:NAME\") so the backup CA can be seen",
            instead: &[],
        },
    },
    Rule {
        id: "B4",
        section: "Decision rules B.4; question 3",
        asks: "clients report pin failures (telemetry)",
        applies: ALL_BUT_WEB,
        reads: &["organisation.telemetry"],
        check: Check::Org(|o| &o.telemetry),
        not_met: Outcome {
            cap: Verdict::PinWithConditions,
            then: "without failure reports the first sign of a pin mistake is users reporting outages: report-only and staged rollout first",
            instead: &["pin-failure reports, report-only first, then a staged rollout"],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "no pin-failure telemetry is stated: report-only and staged rollout first, and state telemetry",
            instead: &["pin-failure reports, report-only first, then a staged rollout"],
        },
    },
    Rule {
        id: "B5",
        section: "Decision rules B.5; question 4",
        asks: "the rotation, CA migration and emergency re-issuance runbooks each have \"update the pins\" as a step",
        applies: ALL_BUT_WEB,
        reads: &["organisation.runbook.kind", "organisation.runbook.pin_step"],
        check: Check::Org(|o| &o.runbooks),
        not_met: Outcome {
            cap: Verdict::PinWithConditions,
            then: "a pin update that isn't in the runbook won't happen smoothly when it is needed",
            instead: &["write the pin step into each runbook (`pinwarden runbook` drafts them)"],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state for each runbook whether it has the pin-update step (pin_step)",
            instead: &[],
        },
    },
    Rule {
        id: "B6",
        section: "Decision rules B.6; question 5",
        asks: "someone owns the pin configuration lifecycle and reviews it at every certificate or CA change",
        applies: ALL_BUT_WEB,
        reads: &["organisation.owner"],
        check: Check::Org(|o| &o.owner),
        not_met: Outcome {
            cap: Verdict::NotReady,
            then: "pinning that nobody owns gets forgotten until it causes an incident",
            instead: &["name an owner of the pin configuration lifecycle"],
        },
        not_stated: Outcome {
            cap: Verdict::NotReady,
            then: "nobody is named as owner of the pin configuration lifecycle (organisation.owner)",
            instead: &["name an owner of the pin configuration lifecycle"],
        },
    },
    Rule {
        id: "C-web",
        section: "Decision rules C, web (browser)",
        asks: "the client can enforce pins",
        applies: &[Web],
        reads: &["application.type"],
        check: Check::Never(
            "browsers removed HPKP (Chrome 72, Firefox 72): there is no browser pinning",
        ),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "a browser app has no way to pin",
            instead: &[CT_CAA, LIFECYCLE],
        },
        not_stated: Outcome {
            cap: Verdict::DontPin,
            then: "a browser app has no way to pin",
            instead: &[CT_CAA, LIFECYCLE],
        },
    },
    Rule {
        id: "C-hours",
        section: "Decision rules C, mobile and desktop; B.1",
        asks: "its pins can be replaced within hours: a remote pin configuration, or a forced update that reaches 95% in hours",
        applies: &[Mobile, Desktop],
        reads: &[
            "application.remote_pin_config",
            "application.update_mechanism",
            "application.update_days_to_95",
            "application.update_hours_to_95",
        ],
        check: Check::Speed(Speed::Hours),
        not_met: Outcome {
            cap: Verdict::PinWithConditions,
            then: "its pins can't be replaced within hours: build the remote pin configuration before enforcing",
            instead: &[
                "a signed remote pin configuration (pinwarden manifests), built from day one",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state how fast its pins can be replaced (remote_pin_config, update_hours_to_95)",
            instead: &[],
        },
    },
    Rule {
        id: "C-desktop-own",
        section: "Decision rules C, desktop",
        asks: "it talks only to the organisation's own infrastructure",
        applies: &[Desktop],
        reads: &["application.hosts", "endpoint.host", "partner.hosts"],
        check: Check::App(|a| &a.own_hosts_only),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "it talks to third-party services: the operational risk of pinning outweighs its benefit",
            instead: &[CT_CAA],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "list its hosts, and the organisation's endpoints, so it can be seen to talk only to them",
            instead: &[],
        },
    },
    Rule {
        id: "C-desktop-update",
        section: "Decision rules C, desktop",
        asks: "it updates itself, mandatorily: users can't defer updates",
        applies: &[Desktop],
        reads: &["application.update_mechanism"],
        check: Check::App(|a| &a.mandatory_update),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "users can defer its updates: installs with old pins would be locked out",
            instead: &[CT_CAA],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state its update mechanism (update_mechanism)",
            instead: &[],
        },
    },
    Rule {
        id: "C-service-ca",
        section: "Decision rules C, internal service-to-service",
        asks: "its peers' certificates come from a public CA (behind a private CA, pinning adds little)",
        applies: &[Service],
        reads: &[
            "application.private_ca",
            "organisation.certificate_lifetime_days",
        ],
        check: Check::AppNot(|a| &a.private_ca),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "mTLS with a private CA already keeps out certificates from CAs it doesn't control: pinning's marginal benefit is small",
            instead: &[
                "keep mTLS with the private CA, and issue short-lived certificates (hours to days) automatically",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state whether its peers' certificates come from a private CA (private_ca)",
            instead: &[],
        },
    },
    Rule {
        id: "C-iot-ota",
        section: "Decision rules C, IoT and embedded",
        asks: "pins can be replaced over the air, by signed (verified) updates",
        applies: &[Iot],
        reads: &["application.update_mechanism"],
        check: Check::App(|a| &a.ota_signed),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "without a verified over-the-air path, pinned devices are a time bomb: the first key change bricks them",
            instead: &[
                "mTLS with a private CA",
                "device attestation",
                "network segmentation",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state its update mechanism (update_mechanism = \"ota-signed\", …)",
            instead: &[],
        },
    },
    Rule {
        id: "C-iot-tested",
        section: "Decision rules C, IoT and embedded",
        asks: "the over-the-air pin update has been exercised, not only designed",
        applies: &[Iot],
        reads: &["application.ota_tested", "application.ota_last_exercised"],
        check: Check::App(|a| &a.ota_tested),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "an OTA pin update that has never been exercised can't be relied on to replace pins",
            instead: &[
                "exercise the OTA pin update on the fleet, then reassess",
                "mTLS with a private CA",
                "device attestation",
            ],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state when the OTA pin update was last exercised (ota_last_exercised)",
            instead: &[],
        },
    },
    Rule {
        id: "C-iot-reach",
        section: "Decision rules C, IoT and embedded",
        asks: "over-the-air updates reach at least 95% of the fleet",
        applies: &[Iot],
        reads: &[
            "application.ota_fleet_reach_percent",
            "application.update_days_to_95",
        ],
        check: Check::App(|a| &a.ota_reaches_fleet),
        not_met: Outcome {
            cap: Verdict::DontPin,
            then: "devices the updates don't reach would be locked out when the pins change",
            instead: &["mTLS with a private CA", "network segmentation"],
        },
        not_stated: Outcome {
            cap: Verdict::PinWithConditions,
            then: "state how much of the fleet OTA updates reach (ota_fleet_reach_percent)",
            instead: &[],
        },
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// One rule, evaluated for one application: the trace's line.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    /// The rule's id.
    pub rule: &'static str,
    /// Where in the framework it comes from.
    pub section: &'static str,
    /// What it asks.
    pub asks: &'static str,
    /// The policy facts it reads.
    pub reads: &'static [&'static str],
    /// How it stands.
    pub status: RuleStatus,
    /// What the facts say.
    pub facts: String,
    /// The cap it puts on the verdict, if any.
    pub cap: Option<Verdict>,
    /// Why, and what follows, when it caps.
    pub then: Option<&'static str>,
    /// Whether it decided the verdict (its cap is the verdict).
    pub decided: bool,
}

impl Rule {
    /// The rule's status and the facts' words, at the organisation's level
    /// (only for rules that read organisation facts).
    pub fn check_org(&self, org: &OrgFacts) -> Option<(RuleStatus, String)> {
        match self.check {
            Check::Org(fact) => Some(status_of(fact(org), false)),
            _ => None,
        }
    }

    /// Evaluates the rule for `app`.
    pub fn evaluate(&self, facts: &Facts, app: &AppFacts) -> Step {
        let (status, words) = if self.applies.contains(&app.app_type) {
            match self.check {
                Check::Org(fact) => status_of(fact(&facts.org), false),
                Check::App(fact) => status_of(fact(app), false),
                Check::AppNot(fact) => status_of(fact(app), true),
                Check::Speed(at_most) => match app.speed.value {
                    Some(s) if s <= at_most => (RuleStatus::Met, speed_words(app)),
                    Some(_) => (RuleStatus::NotMet, speed_words(app)),
                    None => (RuleStatus::NotStated, app.speed.says.clone()),
                },
                Check::Never(why) => (RuleStatus::NotMet, why.to_owned()),
            }
        } else {
            (RuleStatus::NotApplicable, String::new())
        };
        let outcome = match status {
            RuleStatus::NotMet => Some(&self.not_met),
            RuleStatus::NotStated => Some(&self.not_stated),
            RuleStatus::Met | RuleStatus::NotApplicable => None,
        };
        Step {
            rule: self.id,
            section: self.section,
            asks: self.asks,
            reads: self.reads,
            status,
            facts: words,
            cap: outcome.map(|o| o.cap),
            then: outcome.map(|o| o.then),
            decided: false,
        }
    }

    /// What follows from a status.
    pub fn outcome(&self, status: RuleStatus) -> Option<&Outcome> {
        match status {
            RuleStatus::NotMet => Some(&self.not_met),
            RuleStatus::NotStated => Some(&self.not_stated),
            RuleStatus::Met | RuleStatus::NotApplicable => None,
        }
    }
}

fn speed_words(app: &AppFacts) -> String {
    match app.speed.value {
        Some(s) => format!("{} ({})", s.words(), app.speed.says),
        None => app.speed.says.clone(),
    }
}

fn status_of(fact: &Fact<bool>, negate: bool) -> (RuleStatus, String) {
    let status = match fact.value {
        Some(v) if v != negate => RuleStatus::Met,
        Some(_) => RuleStatus::NotMet,
        None => RuleStatus::NotStated,
    };
    (status, fact.says.clone())
}

/// Every rule, evaluated for `app`, in table order.
pub(crate) fn evaluate(facts: &Facts, app: &AppFacts) -> Vec<Step> {
    RULES.iter().map(|r| r.evaluate(facts, app)).collect()
}
