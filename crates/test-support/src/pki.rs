//! Certificate hierarchies for tests: root → intermediate → leaf.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

/// Key algorithms the fixtures can generate (ring can't generate RSA keys;
/// tests that need RSA make them with openssl).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    fn algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    fn generate(self) -> KeyPair {
        KeyPair::generate_for(self.algorithm()).expect("ring generates this key kind")
    }
}

/// A certificate authority that can issue certificates.
#[derive(Debug)]
pub struct Ca {
    /// The CA certificate, DER.
    pub der: Vec<u8>,
    /// The CA certificate, PEM.
    pub pem: String,
    /// The CA's DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

/// An end-entity certificate and its private key.
#[derive(Debug)]
pub struct Leaf {
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The certificate, PEM.
    pub pem: String,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// The private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
}

fn params(cn: &str, sans: &[&str]) -> CertificateParams {
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
    let mut params = CertificateParams::new(sans).expect("test names are valid SANs");
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "pinwarden tests");
    dn.push(DnType::CommonName, cn);
    params.distinguished_name = dn;
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(90);
    params
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = params(cn, &[]);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.use_authority_key_identifier_extension = true;
    p
}

impl Ca {
    /// A self-signed root.
    pub fn root(cn: &str, kind: KeyKind) -> Self {
        let key = kind.generate();
        let params = ca_params(cn);
        let cert = params.self_signed(&key).expect("rcgen signs a root");
        Self::new(cert, params, key)
    }

    /// An intermediate CA issued by this CA.
    pub fn intermediate(&self, cn: &str, kind: KeyKind) -> Self {
        let key = kind.generate();
        let params = ca_params(cn);
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("rcgen signs an intermediate");
        Self::new(cert, params, key)
    }

    fn new(cert: rcgen::Certificate, params: CertificateParams, key: KeyPair) -> Self {
        Self {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            spki: key.subject_public_key_info(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A server certificate for `names`, valid from yesterday for 90 days.
    pub fn leaf(&self, names: &[&str], kind: KeyKind) -> Leaf {
        let now = OffsetDateTime::now_utc();
        self.leaf_valid(
            names,
            kind,
            now - Duration::days(1),
            now + Duration::days(90),
        )
    }

    /// A server certificate for `names` with the given validity.
    pub fn leaf_valid(
        &self,
        names: &[&str],
        kind: KeyKind,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let key = kind.generate();
        let mut p = params(names.first().copied().unwrap_or("leaf"), names);
        p.not_before = not_before;
        p.not_after = not_after;
        p.use_authority_key_identifier_extension = true;
        let cert = p.signed_by(&key, &self.issuer).expect("rcgen signs a leaf");
        Leaf {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            spki: key.subject_public_key_info(),
        }
    }
}

/// A precertificate and the certificate issued from it.
#[derive(Debug)]
pub struct Precert {
    /// The precertificate, with the critical CT poison extension, DER.
    pub der: Vec<u8>,
    /// The final certificate: the same TBSCertificate without the poison.
    pub final_der: Vec<u8>,
    /// The DER SubjectPublicKeyInfo.
    pub spki: Vec<u8>,
}

impl Ca {
    /// A precertificate for `names` and its final certificate (RFC 6962
    /// §3.1): same serial, key, names and validity; only the poison differs.
    pub fn precert(&self, names: &[&str], kind: KeyKind) -> Precert {
        let key = kind.generate();
        let mut p = params(names.first().copied().unwrap_or("leaf"), names);
        p.use_authority_key_identifier_extension = true;
        let serial: Vec<u8> = (0..16)
            .map(|i| (i * 37 + names.len() * 11 + 1) as u8)
            .collect();
        let mut serial = serial;
        serial[0] &= 0x7f;
        serial.extend_from_slice(&key.public_key_raw()[1..5]);
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        let final_cert = p.signed_by(&key, &self.issuer).expect("rcgen signs a leaf");
        // The poison: 1.3.6.1.4.1.11129.2.4.3, critical, ASN.1 NULL.
        let mut poison = rcgen::CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 3],
            vec![0x05, 0x00],
        );
        poison.set_criticality(true);
        p.custom_extensions.push(poison);
        let precert = p
            .signed_by(&key, &self.issuer)
            .expect("rcgen signs a precertificate");
        Precert {
            der: precert.der().to_vec(),
            final_der: final_cert.der().to_vec(),
            spki: key.subject_public_key_info(),
        }
    }
}

impl Leaf {
    /// A self-signed server certificate (not a CA), as many test and
    /// appliance servers present.
    pub fn self_signed(names: &[&str], kind: KeyKind) -> Self {
        let key = kind.generate();
        let p = params(names.first().copied().unwrap_or("leaf"), names);
        let cert = p.self_signed(&key).expect("rcgen signs a self-signed leaf");
        Self {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
            spki: key.subject_public_key_info(),
        }
    }
}

/// Root → intermediate → leaf, with ECDSA P-256 keys.
#[derive(Debug)]
pub struct Pki {
    /// The root CA.
    pub root: Ca,
    /// The intermediate CA, issued by the root.
    pub intermediate: Ca,
    /// The leaf, issued by the intermediate.
    pub leaf: Leaf,
}

impl Pki {
    /// A fresh hierarchy whose leaf is valid for `names`.
    pub fn new(names: &[&str]) -> Self {
        let root = Ca::root("pinwarden Test Root", KeyKind::EcdsaP256);
        let intermediate = root.intermediate("pinwarden Test Intermediate", KeyKind::EcdsaP256);
        let leaf = intermediate.leaf(names, KeyKind::EcdsaP256);
        Self {
            root,
            intermediate,
            leaf,
        }
    }

    /// The chain a server sends: leaf and intermediate, DER.
    pub fn served_chain(&self) -> Vec<Vec<u8>> {
        vec![self.leaf.der.clone(), self.intermediate.der.clone()]
    }

    /// Leaf, intermediate and root as one PEM bundle.
    pub fn full_chain_pem(&self) -> String {
        format!(
            "{}{}{}",
            self.leaf.pem, self.intermediate.pem, self.root.pem
        )
    }
}
