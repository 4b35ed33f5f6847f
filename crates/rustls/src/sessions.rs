//! TLS session resumption that can't outlive a pin change.
//!
//! A resumed session (TLS 1.2 session id or ticket, TLS 1.3 PSK) skips
//! certificate verification: the client trusts what it verified the first
//! time. Were the pins to change in between (a manifest removes a key, a
//! pin set starts enforcing), a resumed connection would never meet them.
//! [`PinAwareSessions`] keeps rustls' in-memory cache but throws it away
//! whenever the [`PinStore`] is replaced, so every connection after a pin
//! change is a full handshake through the verifier. Early data (0-RTT) is
//! off in [`crate::PinningVerifier::client_config`]: it is sent before the
//! server's certificate is seen at all.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::NamedGroup;
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue, Tls13ClientSessionValue,
};
use rustls_pki_types::ServerName;

use crate::PinStore;

/// How many servers' sessions are kept, as rustls' default.
const SESSIONS: usize = 256;

/// rustls' session cache, emptied whenever the pins change.
pub struct PinAwareSessions {
    pins: PinStore,
    cache: Mutex<(u64, Arc<ClientSessionMemoryCache>)>,
}

impl fmt::Debug for PinAwareSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinAwareSessions")
            .field("generation", &self.pins.generation())
            .finish_non_exhaustive()
    }
}

impl PinAwareSessions {
    /// A cache that forgets every session when `pins` change.
    pub fn new(pins: PinStore) -> Self {
        let generation = pins.generation();
        Self {
            pins,
            cache: Mutex::new((
                generation,
                Arc::new(ClientSessionMemoryCache::new(SESSIONS)),
            )),
        }
    }

    /// The cache for the pins in force now: a fresh one after a change.
    fn current(&self) -> Arc<ClientSessionMemoryCache> {
        let generation = self.pins.generation();
        let mut guard = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.0 != generation {
            *guard = (
                generation,
                Arc::new(ClientSessionMemoryCache::new(SESSIONS)),
            );
        }
        Arc::clone(&guard.1)
    }
}

impl ClientSessionStore for PinAwareSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.current().set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        self.current().kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.current().set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.current().tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.current().remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.current().insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.current().take_tls13_ticket(server_name)
    }
}
