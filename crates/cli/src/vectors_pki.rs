//! The certificates of the shared test vectors' chain cases
//! (`pinwarden manifest vectors`): two unrelated hierarchies made with rcgen,
//! valid from 2025-01-01 to 2099-12-31, new keys on each run.

use anyhow::Context as _;
use pinwarden_manifest::vectors::{CHAIN_HOST, ChainPki};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber, SignatureAlgorithm,
};
use time::macros::datetime;

/// The host of hierarchy B's leaf.
const OTHER_HOST: &str = "other.vectors.example";

fn params(cn: &str, sans: &[&str], serial: u8) -> anyhow::Result<CertificateParams> {
    let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
    let mut p = CertificateParams::new(sans).context("a subjectAltName")?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "pinwarden test vectors");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.not_before = datetime!(2025-01-01 00:00:00 UTC);
    p.not_after = datetime!(2099-12-31 23:59:59 UTC);
    p.serial_number = Some(SerialNumber::from_slice(&[0x10, serial]));
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

fn ca_params(cn: &str, serial: u8) -> anyhow::Result<CertificateParams> {
    let mut p = params(cn, &[], serial)?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    Ok(p)
}

fn leaf_params(host: &str, serial: u8) -> anyhow::Result<CertificateParams> {
    let mut p = params(host, &[host], serial)?;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok(p)
}

fn key(alg: &'static SignatureAlgorithm) -> anyhow::Result<KeyPair> {
    KeyPair::generate_for(alg).context("generating a certificate key")
}

/// Makes the certificates.
pub(crate) fn make() -> anyhow::Result<ChainPki> {
    let p256 = &rcgen::PKCS_ECDSA_P256_SHA256;

    // Hierarchy A.
    let root_a_key = key(p256)?;
    let root_a_params = ca_params("Vectors Root A", 1)?;
    let root_a = root_a_params.self_signed(&root_a_key)?;
    let root_a_issuer = Issuer::new(root_a_params, root_a_key);

    let inter_a_key = key(p256)?;
    let inter_a_params = ca_params("Vectors Intermediate A", 2)?;
    let inter_a = inter_a_params.signed_by(&inter_a_key, &root_a_issuer)?;
    // The reissue: same subject and key, another serial and validity.
    let mut reissue_params = inter_a_params.clone();
    reissue_params.serial_number = Some(SerialNumber::from_slice(&[0x10, 3]));
    reissue_params.not_before = datetime!(2025-06-01 00:00:00 UTC);
    let inter_a_reissued = reissue_params.signed_by(&inter_a_key, &root_a_issuer)?;
    let inter_a_issuer = Issuer::new(inter_a_params, inter_a_key);

    let leaf = leaf_params(CHAIN_HOST, 4)?.signed_by(&key(p256)?, &inter_a_issuer)?;
    let leaf_direct = leaf_params(CHAIN_HOST, 5)?.signed_by(&key(p256)?, &root_a_issuer)?;

    // Hierarchy B.
    let root_b_key = key(&rcgen::PKCS_ECDSA_P384_SHA384)?;
    let root_b_params = ca_params("Vectors Root B", 6)?;
    let root_b = root_b_params.self_signed(&root_b_key)?;
    let root_b_issuer = Issuer::new(root_b_params, root_b_key);
    let inter_b_key = key(p256)?;
    let inter_b_params = ca_params("Vectors Intermediate B", 7)?;
    let inter_b = inter_b_params.signed_by(&inter_b_key, &root_b_issuer)?;
    let inter_b_issuer = Issuer::new(inter_b_params, inter_b_key);
    let leaf_b = leaf_params(OTHER_HOST, 8)?.signed_by(&key(p256)?, &inter_b_issuer)?;

    Ok(ChainPki {
        root_a: root_a.der().to_vec(),
        inter_a: inter_a.der().to_vec(),
        inter_a_reissued: inter_a_reissued.der().to_vec(),
        leaf: leaf.der().to_vec(),
        leaf_direct: leaf_direct.der().to_vec(),
        root_b: root_b.der().to_vec(),
        inter_b: inter_b.der().to_vec(),
        leaf_b: leaf_b.der().to_vec(),
    })
}
