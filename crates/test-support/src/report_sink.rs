//! A report collector on plain HTTP for tests: it keeps every JSON body
//! POSTed to `/report` and answers 202.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// A running collector.
#[derive(Clone, Debug)]
pub struct ReportSink {
    /// Where it listens (127.0.0.1).
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl ReportSink {
    /// Starts one on a free port of 127.0.0.1, on the current runtime.
    pub async fn start() -> Self {
        let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let sink = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/report",
            axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(v);
                    axum::http::StatusCode::ACCEPTED
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding 127.0.0.1:0 works");
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, received }
    }

    /// Its report URI.
    pub fn uri(&self) -> String {
        format!("http://{}/report", self.addr)
    }

    /// The reports received so far.
    pub fn received(&self) -> Vec<serde_json::Value> {
        self.received
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}
