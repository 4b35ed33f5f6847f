//! webpki's errors in rustls' terms, as rustls' own verifier reports them.

use rustls::{CertificateError, Error};

pub(crate) fn pki_error(error: webpki::Error) -> Error {
    use webpki::Error as E;
    match error {
        E::BadDer | E::BadDerTime | E::TrailingData(_) => CertificateError::BadEncoding.into(),
        E::CertNotValidYet { .. } => CertificateError::NotValidYet.into(),
        E::CertExpired { .. } => CertificateError::Expired.into(),
        E::InvalidCertValidity => CertificateError::Expired.into(),
        E::UnknownIssuer => CertificateError::UnknownIssuer.into(),
        E::CertNotValidForName(_) => CertificateError::NotValidForName.into(),
        E::CertRevoked => CertificateError::Revoked.into(),
        E::UnknownRevocationStatus => CertificateError::UnknownRevocationStatus.into(),
        E::InvalidSignatureForPublicKey => CertificateError::BadSignature.into(),
        E::RequiredEkuNotFoundContext(_) => CertificateError::InvalidPurpose.into(),
        other => CertificateError::Other(rustls::OtherError(std::sync::Arc::new(other))).into(),
    }
}
