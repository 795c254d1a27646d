//! The town's certificate authority: made once by `kiosk town init`, it signs the town
//! server's certificate for the stations' links (a station trusts only servers it signed).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

/// A certificate and its private key, as PEM.
#[derive(Debug, Clone)]
pub struct Pem {
    pub cert: String,
    pub key: String,
}

fn ca_params(town: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, format!("{town} 根证书"));
    dn.push(DnType::OrganizationName, town.to_string());
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    valid_for_years(&mut p, 20);
    p
}

/// Valid from yesterday (a station clock a little behind) for `years`.
fn valid_for_years(p: &mut CertificateParams, years: i32) {
    use chrono::Datelike;
    let from = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let at = |y: i32| rcgen::date_time_ymd(y, from.month() as u8, from.day().min(28) as u8);
    p.not_before = at(from.year());
    p.not_after = at(from.year() + years);
}

/// A new certificate authority for the town.
pub fn new_ca(town: &str) -> Result<Pem, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = ca_params(town).self_signed(&key)?;
    Ok(Pem { cert: cert.pem(), key: key.serialize_pem() })
}

/// A server certificate signed by the town's CA, for `hosts` (IP addresses or names).
pub fn issue_server(town: &str, ca_key_pem: &str, cn: &str, hosts: &[String]) -> Result<Pem, rcgen::Error> {
    let ca_key = KeyPair::from_pem(ca_key_pem)?;
    let issuer = Issuer::new(ca_params(town), ca_key);
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn.to_string());
    dn.push(DnType::OrganizationName, town.to_string());
    p.distinguished_name = dn;
    p.subject_alt_names = hosts
        .iter()
        .map(|h| match h.parse::<std::net::IpAddr>() {
            Ok(ip) => Ok(SanType::IpAddress(ip)),
            Err(_) => h.clone().try_into().map(SanType::DnsName),
        })
        .collect::<Result<Vec<_>, _>>()?;
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    valid_for_years(&mut p, 10);
    let key = KeyPair::generate()?;
    let cert = p.signed_by(&key, &issuer)?;
    Ok(Pem { cert: cert.pem(), key: key.serialize_pem() })
}
