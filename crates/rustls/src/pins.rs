//! The pins in force, shared between the updater (which replaces them) and
//! every verifier (which reads them on each handshake).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use pinwarden_core::{HostPattern, PinSet, set_for_host};

/// Where the active pins came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PinSource {
    /// The pins compiled into the client: no valid manifest.
    BuiltIn,
    /// A verified manifest.
    Manifest {
        /// Its version.
        version: u64,
        /// Whether this installation uses its candidate pin sets.
        candidate: bool,
        /// Whether it has expired and its after-expiry behaviour applies.
        expired: bool,
    },
}

/// The pin sets in force and their origin.
///
/// Which set applies to a host: among the sets that cover it, the most
/// specific pattern wins, and between equally specific ones an enforced set
/// wins over a report-only one ([`pinwarden_core::set_for_host`]). The
/// built-in sets are the floor: a host a built-in set covers stays pinned by
/// it unless the manifest covers that host itself, and after a manifest
/// expires the built-in sets come first again (expiry never weakens them).
#[derive(Clone, Debug)]
pub struct ActivePins {
    /// The sets in force (the manifest's, or the built-in ones).
    pub sets: Vec<PinSet>,
    /// The built-in sets, for hosts `sets` doesn't cover (empty when `sets`
    /// are the built-in ones).
    pub floor: Vec<PinSet>,
    /// Whether `floor` comes before `sets` (an expired manifest).
    pub floor_first: bool,
    /// Where a report goes when its set names no report URI (the manifest's).
    pub report_uri: Option<String>,
    /// Where they came from.
    pub source: PinSource,
    /// This installation's rollout cohort (0–99), when known.
    pub cohort: Option<u8>,
}

impl ActivePins {
    /// The built-in sets alone.
    pub fn built_in(sets: Vec<PinSet>) -> Self {
        Self {
            sets,
            floor: Vec::new(),
            floor_first: false,
            report_uri: None,
            source: PinSource::BuiltIn,
            cohort: None,
        }
    }

    /// The set that applies to `host`, if any.
    pub fn for_host(&self, host: &str) -> Option<&PinSet> {
        self.resolve(host).map(|(set, _)| set)
    }

    /// The set that applies to `host` and its pattern that matched.
    pub fn resolve(&self, host: &str) -> Option<(&PinSet, &HostPattern)> {
        let (first, then) = if self.floor_first {
            (&self.floor, &self.sets)
        } else {
            (&self.sets, &self.floor)
        };
        set_for_host(first, host).or_else(|| set_for_host(then, host))
    }

    /// The manifest version, when the pins came from one.
    pub fn manifest_version(&self) -> Option<u64> {
        match self.source {
            PinSource::Manifest { version, .. } => Some(version),
            PinSource::BuiltIn => None,
        }
    }
}

/// A swappable handle on the active pins.
#[derive(Clone, Debug)]
pub struct PinStore {
    active: Arc<RwLock<Arc<ActivePins>>>,
    generation: Arc<AtomicU64>,
}

impl PinStore {
    /// Starts with the built-in pins.
    pub fn new(built_in: Vec<PinSet>) -> Self {
        Self {
            active: Arc::new(RwLock::new(Arc::new(ActivePins::built_in(built_in)))),
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A number that changes whenever the pins are replaced: TLS sessions
    /// resumed across a change would skip the new pins (see
    /// [`crate::PinAwareSessions`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The pins in force now (cheap: one reference count).
    pub fn current(&self) -> Arc<ActivePins> {
        match self.active.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the pins; handshakes already running keep the old ones.
    pub fn replace(&self, pins: ActivePins) {
        let pins = Arc::new(pins);
        match self.active.write() {
            Ok(mut guard) => *guard = pins,
            Err(poisoned) => *poisoned.into_inner() = pins,
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
