//! The Redis quota store's URL forms, read into where to connect and how,
//! and shown with their credentials hidden:
//!
//! - one server: `redis://[USER:PASSWORD@]HOST[:PORT][/DB]`, `rediss://…`,
//!   `redis+unix:///path/to/redis.sock[?user=…&pass=…]` (the `redis`
//!   crate reads these itself);
//! - a Redis Cluster: `redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]`
//!   (`rediss+cluster://` for TLS), its seed nodes;
//! - a master behind Sentinel:
//!   `redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/SERVICE`
//!   (`rediss+sentinel://` for TLS to the sentinels and the master), the
//!   sentinels and the name they know the master by. USER and PASSWORD are
//!   the master's; sentinels that want credentials of their own take
//!   `?sentinel_user=…&sentinel_password=…`.
//!
//! User names and passwords may be percent-encoded (`%40` for `@`).

/// What a quota store URL names.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Target {
    /// One server, in a URL the `redis` crate reads.
    Single(String),
    /// A cluster's seed nodes.
    Cluster(Nodes),
    /// Sentinels and the master's service name.
    Sentinel {
        nodes: Nodes,
        service: String,
        /// The sentinels' own credentials (query parameters).
        sentinel_auth: Auth,
    },
}

/// Hosts and the credentials for them.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct Nodes {
    pub(super) hosts: Vec<(String, u16)>,
    pub(super) tls: bool,
    pub(super) auth: Auth,
}

/// A user name and a password, each optional, percent-decoded.
#[derive(Clone, Default, PartialEq, Eq)]
pub(super) struct Auth {
    pub(super) user: Option<String>,
    pub(super) password: Option<String>,
}

// Hand-written: credentials never show.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_ref().map(|_| "***");
        f.debug_struct("Auth")
            .field("user", &shown(&self.user))
            .field("password", &shown(&self.password))
            .finish()
    }
}

impl std::fmt::Debug for Nodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nodes")
            .field("hosts", &self.hosts)
            .field("tls", &self.tls)
            .field("auth", &self.auth)
            .finish()
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Single(url) => f.debug_tuple("Single").field(&redacted(url)).finish(),
            Self::Cluster(nodes) => f.debug_tuple("Cluster").field(nodes).finish(),
            Self::Sentinel {
                nodes,
                service,
                sentinel_auth,
            } => f
                .debug_struct("Sentinel")
                .field("nodes", nodes)
                .field("service", service)
                .field("sentinel_auth", sentinel_auth)
                .finish(),
        }
    }
}

/// The URL forms, for messages.
pub(super) const FORMS: &str = "redis://[USER:PASSWORD@]HOST[:PORT][/DB], rediss://…, \
    redis+unix:///path/to/socket, redis+cluster://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…] \
    or redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/SERVICE";

impl Target {
    /// Reads `url`; `None` when it is none of the forms (the caller says
    /// which forms there are, without echoing the URL).
    pub(super) fn parse(url: &str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let (tls, shape) = match scheme {
            "redis" | "rediss" | "redis+unix" | "unix" => {
                return Some(Self::Single(url.to_string()));
            }
            "redis+cluster" => (false, "cluster"),
            "rediss+cluster" => (true, "cluster"),
            "redis+sentinel" => (false, "sentinel"),
            "rediss+sentinel" => (true, "sentinel"),
            _ => return None,
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (auth, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => (auth(userinfo)?, hosts),
            None => (Auth::default(), authority),
        };
        let default_port = if shape == "cluster" { 6379 } else { 26379 };
        let hosts = hosts
            .split(',')
            .map(|h| host(h, default_port))
            .collect::<Option<Vec<_>>>()?;
        let nodes = Nodes { hosts, tls, auth };
        let params: Vec<(String, String)> = form_pairs(query);
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        if shape == "cluster" {
            return (path.is_empty() && params.is_empty()).then_some(Self::Cluster(nodes));
        }
        let known = |k: &str| matches!(k, "sentinel_user" | "sentinel_password");
        let service = percent_decode(path.trim_end_matches('/'))?;
        if service.is_empty() || service.contains('/') || !params.iter().all(|(k, _)| known(k)) {
            return None;
        }
        Some(Self::Sentinel {
            nodes,
            service,
            sentinel_auth: Auth {
                user: param("sentinel_user"),
                password: param("sentinel_password"),
            },
        })
    }
}

/// `USER:PASSWORD`, `:PASSWORD` or `USER`, percent-decoded.
fn auth(userinfo: &str) -> Option<Auth> {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let password = match password {
        Some(p) => Some(percent_decode(p)?),
        None => None,
    };
    Some(Auth {
        user: Some(percent_decode(user)?).filter(|u| !u.is_empty()),
        password,
    })
}

/// `HOST:PORT`, `HOST` (the default port) or `[IPV6]:PORT`.
fn host(text: &str, default_port: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = text.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok().filter(|&p| p != 0)?,
        None => default_port,
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    (!host.is_empty() && host.chars().all(plain)).then(|| (host.to_string(), port))
}

/// `%XX` sequences decoded; `None` when one is malformed or the result is
/// not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A query string's `name=value` pairs, decoded.
fn form_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Query parameters whose values are hidden.
fn hidden(name: &str) -> bool {
    matches!(
        name,
        "user" | "pass" | "password" | "sentinel_user" | "sentinel_password"
    )
}

/// `url` with its user name and password (in the user info, or in a
/// `user`, `pass`, `password`, `sentinel_user` or `sentinel_password`
/// query parameter) replaced by `***`. A one-server URL that does not
/// parse shows its scheme only.
pub(crate) fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(unparsable)".into();
    };
    let single = matches!(scheme, "redis" | "rediss" | "redis+unix" | "unix");
    if single && reqwest::Url::parse(url).is_err() {
        return format!("{scheme}://(unparsable)");
    }
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => {
            let shown = match userinfo.split_once(':') {
                Some(("", _)) => ":***".to_string(),
                Some(_) => "***:***".to_string(),
                None => "***".to_string(),
            };
            format!("{shown}@{hosts}")
        }
        None => authority.to_string(),
    };
    let query = query.map(|q| {
        let pairs = form_pairs(q).into_iter().map(|(k, v)| {
            let v = if hidden(&k) { "***".to_string() } else { v };
            (k, v)
        });
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("?{encoded}")
    });
    format!("{scheme}://{authority}{path}{}", query.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(hosts: &[(&str, u16)], tls: bool, user: Option<&str>, pass: Option<&str>) -> Nodes {
        Nodes {
            hosts: hosts.iter().map(|(h, p)| (h.to_string(), *p)).collect(),
            tls,
            auth: Auth {
                user: user.map(String::from),
                password: pass.map(String::from),
            },
        }
    }

    #[test]
    fn each_form_reads_as_the_shape_it_names() {
        let cluster = Target::parse("redis+cluster://a:7000,b:7001,[::1]:7002").unwrap();
        let want = nodes(
            &[("a", 7000), ("b", 7001), ("::1", 7002)],
            false,
            None,
            None,
        );
        assert_eq!(cluster, Target::Cluster(want));
        let tls = Target::parse("rediss+cluster://quota:p%40ss@a:7000").unwrap();
        let want = nodes(&[("a", 7000)], true, Some("quota"), Some("p@ss"));
        assert_eq!(tls, Target::Cluster(want));
        let sentinel =
            Target::parse("redis+sentinel://:pw@s1:26379,s2/mymaster?sentinel_password=sp")
                .unwrap();
        let Target::Sentinel {
            nodes: got,
            service,
            sentinel_auth,
        } = sentinel
        else {
            panic!("not a sentinel")
        };
        assert_eq!(
            got,
            nodes(&[("s1", 26379), ("s2", 26379)], false, None, Some("pw"))
        );
        assert_eq!(service, "mymaster");
        assert_eq!(sentinel_auth.password.as_deref(), Some("sp"));
        assert_eq!(sentinel_auth.user, None);
        let Some(Target::Sentinel { nodes, .. }) = Target::parse("rediss+sentinel://s:1/m") else {
            panic!("rediss+sentinel is a sentinel URL")
        };
        assert!(nodes.tls, "rediss+sentinel is TLS");
        for single in ["redis://h:6379/2", "rediss://u:p@h", "redis+unix:///r.sock"] {
            assert_eq!(Target::parse(single), Some(Target::Single(single.into())));
        }
    }

    #[test]
    fn a_url_that_is_no_form_is_refused() {
        for bad in [
            "redsi://h",
            "no scheme",
            "redis+cluster://",
            "redis+cluster://h:notaport",
            "redis+cluster://h:0",
            "redis+cluster://h:7000/3",
            "redis+cluster://h:7000?db=1",
            "redis+cluster://a:1,,b:2",
            "redis+cluster://u:%zz@h:1",
            "redis+sentinel://s1:26379",
            "redis+sentinel://s1:26379/",
            "redis+sentinel://s1:26379/a/b",
            "redis+sentinel://s1:26379/m?db=1",
            "redis+sentinel://h o:1/m",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn user_and_password_are_hidden_in_every_form() {
        for (url, shown) in [
            ("redis://:s3cret@h:6379/1", "redis://:***@h:6379/1"),
            ("rediss://user:s3cret@h", "rediss://***:***@h"),
            ("redis://user@h", "redis://***@h"),
            ("redis://h:6379", "redis://h:6379"),
            (
                "redis+unix:///r.sock?db=1&pass=s3cret",
                "redis+unix:///r.sock?db=1&pass=***",
            ),
            (
                "redis+unix:///r.sock?user=quota&password=s3cret",
                "redis+unix:///r.sock?user=***&password=***",
            ),
            ("redis://:s3cret@[oops", "redis://(unparsable)"),
            (
                "redis+cluster://quota:s3cret@a:7000,b:7001",
                "redis+cluster://***:***@a:7000,b:7001",
            ),
            (
                "rediss+sentinel://:s3cret@s1:26379,s2:26379/mymaster?sentinel_password=s3cret",
                "rediss+sentinel://:***@s1:26379,s2:26379/mymaster?sentinel_password=***",
            ),
            ("no scheme s3cret", "(unparsable)"),
        ] {
            assert_eq!(redacted(url), shown);
        }
        let parsed = Target::parse("redis+cluster://quota:s3cret@a:7000").unwrap();
        let debug = format!("{parsed:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("quota"),
            "{debug}"
        );
        // What is not secret shows: the hosts, and that credentials are set.
        assert!(
            debug.contains("7000") && debug.contains("\"***\""),
            "{debug}"
        );
        let sentinel = Target::parse("redis+sentinel://s:1/mymaster?sentinel_password=pw").unwrap();
        let debug = format!("{sentinel:?}");
        assert!(
            debug.contains("mymaster") && !debug.contains("pw\""),
            "{debug}"
        );
        let single = format!("{:?}", Target::parse("redis://:pw@h:1").unwrap());
        assert!(
            single.contains(":***@h:1") && !single.contains(":pw@"),
            "{single}"
        );
    }
}
