//! Which local address each bot connects from. Against a shard on an IPv4 loopback address the
//! harness gives every bot its own address of 127.0.0.0/8 (Linux routes the whole block to the
//! loopback interface), so a local load test never meets the shard's per-address connection
//! limit; against any other address the operating system picks, as for any client.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

/// The `--source-ips` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceIps {
    /// Spread the bots over loopback source addresses when the server is IPv4 loopback.
    #[default]
    Auto,
    /// The operating system picks every connection's local address.
    Off,
}

impl FromStr for SourceIps {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(SourceIps::Auto),
            "off" => Ok(SourceIps::Off),
            other => Err(format!("`{other}` is neither `auto` nor `off`")),
        }
    }
}

impl fmt::Display for SourceIps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceIps::Auto => "auto",
            SourceIps::Off => "off",
        })
    }
}

/// Host numbers used in the last octet: 1..=254 (never a `.0` network-like or `.255`
/// broadcast-like address).
const LAST_OCTETS: u32 = 254;
/// Distinct addresses the spread cycles through: 127.0.0.1 to 127.255.255.254 in that way.
const SPREAD: u32 = 256 * 256 * LAST_OCTETS;

impl SourceIps {
    /// The local address bot `index` binds to before connecting to `server`; `None`: the
    /// operating system picks.
    pub fn local_ip(self, server: SocketAddr, index: usize) -> Option<IpAddr> {
        let spreads = matches!(server.ip(), IpAddr::V4(ip) if ip.is_loopback());
        (self == SourceIps::Auto && spreads).then(|| IpAddr::V4(loopback_source(index)))
    }
}

/// The loopback address of bot `index`: bot 0 gets 127.0.0.2 (127.0.0.1 stays for everything
/// else on the machine), then the last octet counts up to 254 before the next one moves;
/// distinct for the first 16,646,144 bots.
pub fn loopback_source(index: usize) -> Ipv4Addr {
    let n = ((index as u64 + 1) % u64::from(SPREAD)) as u32;
    let host = n % LAST_OCTETS + 1;
    let rest = n / LAST_OCTETS;
    Ipv4Addr::new(127, (rest / 256) as u8, (rest % 256) as u8, host as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn addresses_are_loopback_distinct_and_never_end_in_0_or_255() {
        assert_eq!(loopback_source(0), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(loopback_source(252), Ipv4Addr::new(127, 0, 0, 254));
        assert_eq!(loopback_source(253), Ipv4Addr::new(127, 0, 1, 1));
        let n = 100_000;
        let all: HashSet<Ipv4Addr> = (0..n).map(loopback_source).collect();
        assert_eq!(all.len(), n);
        for ip in all {
            let o = ip.octets();
            assert!(ip.is_loopback() && o[3] != 0 && o[3] != 255, "{ip}");
        }
        let last = loopback_source(SPREAD as usize - 2);
        assert_eq!(last, Ipv4Addr::new(127, 255, 255, 254));
        assert_eq!(loopback_source(SPREAD as usize - 1), Ipv4Addr::new(127, 0, 0, 1), "wraps");
    }

    #[test]
    fn only_an_ipv4_loopback_server_spreads() {
        let local: SocketAddr = "127.0.0.1:7777".parse().unwrap();
        let other_loopback: SocketAddr = "127.8.0.1:7777".parse().unwrap();
        let remote: SocketAddr = "192.0.2.1:7777".parse().unwrap();
        let v6: SocketAddr = "[::1]:7777".parse().unwrap();
        assert_eq!(SourceIps::Auto.local_ip(local, 0), Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))));
        assert!(SourceIps::Auto.local_ip(other_loopback, 5).is_some());
        assert_eq!(SourceIps::Auto.local_ip(remote, 0), None);
        assert_eq!(SourceIps::Auto.local_ip(v6, 0), None);
        assert_eq!(SourceIps::Off.local_ip(local, 0), None);
        assert_eq!("auto".parse(), Ok(SourceIps::Auto));
        assert_eq!("off".parse(), Ok(SourceIps::Off));
        assert!("on".parse::<SourceIps>().is_err());
        assert_eq!(SourceIps::Off.to_string(), "off");
    }
}
