//! A local TLS server on 127.0.0.1 that presents a given chain and answers
//! every request with a tiny HTTP/1.1 200, for curl and probe tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A running server; it stops when dropped.
#[derive(Debug)]
pub struct TlsServer {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsServer {
    /// Starts a server presenting `chain` (DER, leaf first) with the PKCS#8
    /// `key`, on a free port of 127.0.0.1.
    pub fn start(chain: Vec<Vec<u8>>, key: Vec<u8>) -> Self {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .with_no_client_auth()
            .with_single_cert(
                chain.into_iter().map(CertificateDer::from).collect(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
            )
            .expect("the test key matches the test leaf");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 works");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let addr = std_listener
            .local_addr()
            .expect("a bound socket has an address");
        let (stop, mut stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime starts");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio takes the listener");
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((tcp, _)) = accepted else { continue };
                            let acceptor = acceptor.clone();
                            tokio::spawn(async move {
                                let serve = async {
                                    let mut tls = acceptor.accept(tcp).await?;
                                    let mut buf = vec![0u8; 4096];
                                    let mut seen = Vec::new();
                                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                                        let n = tls.read(&mut buf).await?;
                                        if n == 0 { break; }
                                        seen.extend_from_slice(&buf[..n]);
                                    }
                                    tls.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nok\n").await?;
                                    tls.shutdown().await?;
                                    Ok::<_, std::io::Error>(())
                                };
                                let _ = tokio::time::timeout(Duration::from_secs(10), serve).await;
                            });
                        }
                    }
                }
            });
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
