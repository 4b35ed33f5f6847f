//! The pins in force, shared between the updater (which replaces them) and
//! every verifier (which reads them on each handshake).

use std::sync::{Arc, RwLock};

use pinwarden_core::PinSet;

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
#[derive(Clone, Debug)]
pub struct ActivePins {
    /// The sets; the first that covers a host applies.
    pub sets: Vec<PinSet>,
    /// Where they came from.
    pub source: PinSource,
    /// This installation's rollout cohort (0–99), when known.
    pub cohort: Option<u8>,
}

impl ActivePins {
    /// The set that applies to `host`, if any.
    pub fn for_host(&self, host: &str) -> Option<&PinSet> {
        self.sets.iter().find(|s| s.covers(host))
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
}

impl PinStore {
    /// Starts with the built-in pins.
    pub fn new(built_in: Vec<PinSet>) -> Self {
        Self {
            active: Arc::new(RwLock::new(Arc::new(ActivePins {
                sets: built_in,
                source: PinSource::BuiltIn,
                cohort: None,
            }))),
        }
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
    }
}
