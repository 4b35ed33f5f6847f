//! A database URL as it may be shown to people: in `pinwarden serve`'s
//! output, logs and error messages. Passwords are hidden wherever a URL can
//! carry one: the userinfo (`postgres://app:PASSWORD@host/db`) and libpq's
//! query parameters (`?password=…`, `&sslpassword=…`), issue 15.

use url::Url;

/// What a hidden secret is shown as.
const HIDDEN: &str = "***";

/// `url` with every password replaced by `***`: the userinfo's and those of
/// query parameters (any name containing `password`, whatever its case or
/// percent-encoding). The rest is kept as written where the URL parses; a
/// URL that doesn't parse loses its whole userinfo instead, since where its
/// password ends can't be told.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) => redact_parsed(parsed),
        Err(_) => redact_unparsed(url),
    }
}

fn redact_parsed(mut url: Url) -> String {
    if url.password().is_some() {
        // A URL with a password has a host, so this can't fail; if it ever
        // did, the whole URL is hidden rather than shown with the password.
        if url.set_password(Some(HIDDEN)).is_err() {
            return HIDDEN.to_owned();
        }
    }
    if let Some(query) = url.query() {
        let query = redact_query(query);
        url.set_query(Some(&query));
    }
    url.to_string()
}

fn redact_unparsed(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_tail(url);
    };
    // Up to the last `@`, wherever it is: a password may hold `/`, `?` or
    // `#` unencoded, and hiding too much is the safe mistake.
    let rest = match rest.rfind('@') {
        Some(at) => format!("{HIDDEN}{}", &rest[at..]),
        None => rest.to_owned(),
    };
    format!("{scheme}://{}", redact_tail(&rest))
}

fn redact_tail(url: &str) -> String {
    match url.split_once('?') {
        Some((base, query)) => format!("{base}?{}", redact_query(query)),
        None => url.to_owned(),
    }
}

/// A query string with the values of password parameters hidden; every
/// other parameter kept byte for byte (re-encoding would change how, say,
/// a file path in `sslrootcert=` reads).
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| {
            let name = pair.split_once('=').map_or(pair, |(name, _)| name);
            let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                .map(|(k, _)| k.into_owned())
                .collect();
            if decoded.to_ascii_lowercase().contains("password") {
                format!("{name}={HIDDEN}")
            } else {
                pair.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_leave_the_url() {
        assert_eq!(
            redact("postgres://app:s3cret@db.internal:5432/pw"),
            "postgres://app:***@db.internal:5432/pw"
        );
        assert_eq!(
            redact("postgres://app@127.0.0.1/pw"),
            "postgres://app@127.0.0.1/pw"
        );
        assert_eq!(redact("sqlite://data/p.db"), "sqlite://data/p.db");
        assert_eq!(
            redact("sqlite:///var/lib/pinwarden/p.db?mode=rwc"),
            "sqlite:///var/lib/pinwarden/p.db?mode=rwc"
        );
        assert_eq!(redact("postgres://u:p@w@h/db"), "postgres://u:***@h/db");
    }

    /// `?password=` was printed as given (issue 15).
    #[test]
    fn query_passwords_are_hidden_too() {
        assert_eq!(
            redact("postgres://app@db/pw?password=hunter2"),
            "postgres://app@db/pw?password=***"
        );
        assert_eq!(
            redact(
                "postgresql://app:one@db/pw?sslmode=require&password=two&sslrootcert=/etc/ca.pem"
            ),
            "postgresql://app:***@db/pw?sslmode=require&password=***&sslrootcert=/etc/ca.pem"
        );
        // However the name is written.
        for query in ["PASSWORD=x", "pass%77ord=x", "sslpassword=x", "password"] {
            let shown = redact(&format!("postgres://db/pw?a=1&{query}&b=2"));
            assert!(!shown.contains("=x"), "{shown}");
            assert!(shown.ends_with("=***&b=2"), "{shown}");
            assert!(shown.starts_with("postgres://db/pw?a=1&"), "{shown}");
        }
    }

    #[test]
    fn a_url_that_does_not_parse_loses_its_userinfo() {
        for url in [
            "postgres://app:hunter2@[bad/pw",
            "postgres://app:hunter2@db:99999/pw",
            "postgres://app:hunter2@db:99999/pw?password=hunter2",
            "postgres://app:hun?ter2@db/pw",
            "postgres://app:hun/ter2@db/pw",
        ] {
            let shown = redact(url);
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
            assert!(shown.starts_with("postgres://***@"), "{url}: {shown}");
        }
    }
}
