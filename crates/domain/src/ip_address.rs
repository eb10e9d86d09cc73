//! IP addresses that mail is sent from.
//!
//! An address has an IPv4 address (required, unique), optionally an IPv6 address
//! (unique), a hostname (its DNS name, e.g. what its PTR record says) and a priority from
//! 0 to 100: the higher, the larger its share of its pool's traffic.

use crate::organization::{DomainName, DomainNameError, Organization, OrganizationId};
use chrono::{DateTime, Utc};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use uuid::Uuid;

/// The integer key of an IP address (what seed 000 shows as `id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddressId(pub i64);

/// Why an IP address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpError {
    /// Not an address of this family in its usual text form.
    #[error("must be an {family} address such as {example}")]
    Malformed {
        /// `IPv4` or `IPv6`.
        family: &'static str,
        /// An example.
        example: &'static str,
    },
    /// An address no mail can be sent from (unspecified, loopback, multicast, broadcast).
    #[error("must be a unicast address mail can be sent from, not {0}")]
    NotSendable(&'static str),
}

/// An IPv4 address mail can be sent from: dotted decimal, no leading zeros, not
/// unspecified, loopback, multicast or broadcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendingIpv4(Ipv4Addr);

impl SendingIpv4 {
    /// Parses an address.
    ///
    /// ```
    /// # use orgplane_domain::ip_address::SendingIpv4;
    /// assert_eq!(SendingIpv4::parse("192.0.2.10").unwrap().to_string(), "192.0.2.10");
    /// assert!(SendingIpv4::parse("192.0.2.010").is_err());
    /// assert!(SendingIpv4::parse("127.0.0.1").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, IpError> {
        let ip: Ipv4Addr = raw.parse().map_err(|_| IpError::Malformed {
            family: "IPv4",
            example: "192.0.2.10",
        })?;
        let refused = if ip.is_unspecified() {
            Some("the unspecified address")
        } else if ip.is_loopback() {
            Some("a loopback address")
        } else if ip.is_multicast() {
            Some("a multicast address")
        } else if ip.is_broadcast() {
            Some("the broadcast address")
        } else {
            None
        };
        match refused {
            Some(what) => Err(IpError::NotSendable(what)),
            None => Ok(Self(ip)),
        }
    }

    /// The address.
    pub fn get(self) -> Ipv4Addr {
        self.0
    }
}

impl fmt::Display for SendingIpv4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// An IPv6 address mail can be sent from, kept in its canonical (RFC 5952) form: not
/// unspecified, loopback or multicast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendingIpv6(Ipv6Addr);

impl SendingIpv6 {
    /// Parses an address; any valid spelling is accepted and kept canonical.
    ///
    /// ```
    /// # use orgplane_domain::ip_address::SendingIpv6;
    /// assert_eq!(SendingIpv6::parse("2001:DB8:0::1").unwrap().to_string(), "2001:db8::1");
    /// assert!(SendingIpv6::parse("::1").is_err());
    /// assert!(SendingIpv6::parse("192.0.2.1").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, IpError> {
        let ip: Ipv6Addr = raw.parse().map_err(|_| IpError::Malformed {
            family: "IPv6",
            example: "2001:db8::10",
        })?;
        let refused = if ip.is_unspecified() {
            Some("the unspecified address")
        } else if ip.is_loopback() {
            Some("a loopback address")
        } else if ip.is_multicast() {
            Some("a multicast address")
        } else {
            None
        };
        match refused {
            Some(what) => Err(IpError::NotSendable(what)),
            None => Ok(Self(ip)),
        }
    }

    /// The address.
    pub fn get(self) -> Ipv6Addr {
        self.0
    }
}

impl fmt::Display for SendingIpv6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The DNS name of an IP address (e.g. `mail1.example.com`): a domain name of at least
/// two labels, lowercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hostname(DomainName);

impl Hostname {
    /// Parses a host name.
    pub fn parse(raw: &str) -> Result<Self, DomainNameError> {
        DomainName::parse(raw).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Why a priority was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 0 to 100")]
pub struct PriorityError;

/// How strongly an address is preferred within its pools, 0 to 100 (default 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(u8);

impl Priority {
    /// The highest priority, also the default.
    pub const MAX: Priority = Priority(100);

    /// Accepts `0..=100`.
    pub fn new(value: i64) -> Result<Self, PriorityError> {
        u8::try_from(value)
            .ok()
            .filter(|v| *v <= 100)
            .map(Self)
            .ok_or(PriorityError)
    }

    /// The priority.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Self::MAX
    }
}

/// An IP address as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpAddress {
    /// Integer key.
    pub id: IpAddressId,
    /// Public identifier.
    pub uuid: Uuid,
    /// The organization that owns it.
    pub organization_id: OrganizationId,
    /// IPv4 address.
    pub ipv4: SendingIpv4,
    /// IPv6 address, if it has one.
    pub ipv6: Option<SendingIpv6>,
    /// DNS name.
    pub hostname: Hostname,
    /// Preference within its pools.
    pub priority: Priority,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl IpAddress {
    /// Whether a message sent from `ip` was sent from this address (either family).
    pub fn answers_to(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.ipv4.get() == v4,
            IpAddr::V6(v6) => self.ipv6.is_some_and(|own| own.get() == v6),
        }
    }

    /// Whether a pool of `pool_owner` may hold this address: the address belongs to that
    /// organization or to one of its ancestors.
    pub fn may_join_pool_of(&self, pool_owner: &Organization) -> bool {
        pool_owner.is_within(self.organization_id)
    }
}

/// A validated request to create an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIpAddress {
    /// IPv4 address.
    pub ipv4: SendingIpv4,
    /// IPv6 address.
    pub ipv6: Option<SendingIpv6>,
    /// DNS name.
    pub hostname: Hostname,
    /// Priority (default 100).
    pub priority: Priority,
}

/// A validated change to an IP address. `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAddressPatch {
    /// New IPv4 address.
    pub ipv4: Option<SendingIpv4>,
    /// New IPv6 address (`Some(None)` removes it).
    pub ipv6: Option<Option<SendingIpv6>>,
    /// New DNS name.
    pub hostname: Option<Hostname>,
    /// New priority.
    pub priority: Option<Priority>,
}

impl IpAddress {
    /// Applies a validated change and reports which fields really changed.
    pub fn apply(&mut self, patch: IpAddressPatch) -> Vec<&'static str> {
        let mut changed = Vec::new();
        if let Some(v) = patch.ipv4.filter(|v| *v != self.ipv4) {
            self.ipv4 = v;
            changed.push("ipv4");
        }
        if let Some(v) = patch.ipv6.filter(|v| *v != self.ipv6) {
            self.ipv6 = v;
            changed.push("ipv6");
        }
        if let Some(v) = patch.hostname.filter(|v| *v != self.hostname) {
            self.hostname = v;
            changed.push("hostname");
        }
        if let Some(v) = patch.priority.filter(|v| *v != self.priority) {
            self.priority = v;
            changed.push("priority");
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organization::fixtures::organization;
    use proptest::prelude::*;

    fn address(org: &Organization) -> IpAddress {
        IpAddress {
            id: IpAddressId(1),
            uuid: Uuid::nil(),
            organization_id: org.id,
            ipv4: SendingIpv4::parse("192.0.2.1").unwrap(),
            ipv6: Some(SendingIpv6::parse("2001:db8::1").unwrap()),
            hostname: Hostname::parse("mail1.example.com").unwrap(),
            priority: Priority::default(),
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_sendable_ipv4_addresses_are_accepted() {
        for good in ["192.168.1.10", "10.0.0.1", "203.0.113.255"] {
            assert!(SendingIpv4::parse(good).is_ok(), "{good} refused");
        }
        for bad in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            " 1.2.3.4",
            "0.0.0.0",
            "127.0.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "2001:db8::1",
        ] {
            assert!(SendingIpv4::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn ipv6_addresses_are_kept_canonical_and_sendable() {
        assert_eq!(
            SendingIpv6::parse("2001:0DB8:0000:0000:0000:0000:0000:0001")
                .unwrap()
                .to_string(),
            "2001:db8::1"
        );
        for bad in ["::", "::1", "ff02::1", "2001:db8::g", "1.2.3.4"] {
            assert!(SendingIpv6::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn priority_runs_from_0_to_100_and_defaults_to_100() {
        assert_eq!(Priority::default().get(), 100);
        assert_eq!(Priority::new(0).map(Priority::get), Ok(0));
        for bad in [-1, 101, 256, i64::MAX] {
            assert_eq!(Priority::new(bad), Err(PriorityError), "{bad}");
        }
    }

    #[test]
    fn an_address_answers_to_either_of_its_ips() {
        let org = organization(1, None);
        let a = address(&org);
        assert!(a.answers_to("192.0.2.1".parse().unwrap()));
        assert!(a.answers_to("2001:db8::1".parse().unwrap()));
        assert!(!a.answers_to("192.0.2.2".parse().unwrap()));
        let mut v4_only = a.clone();
        v4_only.ipv6 = None;
        assert!(!v4_only.answers_to("2001:db8::1".parse().unwrap()));
    }

    #[test]
    fn an_address_joins_pools_of_its_owner_and_below_only() {
        let root = organization(1, None);
        let child = organization(2, Some(&root));
        let owned_by_root = address(&root);
        assert!(owned_by_root.may_join_pool_of(&child));
        let owned_by_child = address(&child);
        assert!(!owned_by_child.may_join_pool_of(&root));
    }

    #[test]
    fn a_patch_reports_only_real_changes() {
        let org = organization(1, None);
        let mut a = address(&org);
        let changed = a.apply(IpAddressPatch {
            ipv4: Some(a.ipv4),
            ipv6: Some(None),
            priority: Some(Priority::new(50).unwrap()),
            ..Default::default()
        });
        assert_eq!(changed, vec!["ipv6", "priority"]);
        assert_eq!(a.ipv6, None);
    }

    proptest! {
        #[test]
        fn every_accepted_ipv4_prints_as_it_parses(a in 0u8.., b in 0u8.., c in 0u8.., d in 0u8..) {
            let raw = format!("{a}.{b}.{c}.{d}");
            if let Ok(ip) = SendingIpv4::parse(&raw) {
                prop_assert_eq!(ip.to_string(), raw);
            }
        }
    }
}
