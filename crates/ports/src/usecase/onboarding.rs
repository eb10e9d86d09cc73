//! Onboarding: a sub-organization with its first user and that user's keys, in one
//! transaction (seed 001's create).

use super::{CreatedApiKey, Idempotency, OrganizationView, Outcome, ServiceResult, UserView};
use orgplane_domain::access::Actor;
use orgplane_domain::organization::PhoneNumber;
use orgplane_domain::organization::{CountryCode, MonthlyLimit, OrganizationName};
use orgplane_domain::usage::MonthlyUsage;
use orgplane_domain::user::{Email, Password, UserName};

/// A validated request to onboard a sub-organization of the caller's organization.
#[derive(Debug, Clone)]
pub struct NewSubOrganization {
    /// The sub-organization's name.
    pub organization_name: OrganizationName,
    /// Its country.
    pub country_code: CountryCode,
    /// Its monthly allowance.
    pub limit: Option<MonthlyLimit>,
    /// Its first user's address.
    pub email: Email,
    /// Its first user's name.
    pub name: UserName,
    /// Its first user's password.
    pub password: Password,
    /// Its first user's phone.
    pub phone_number: Option<PhoneNumber>,
}

/// What onboarding made. The key values are shown this once.
#[derive(Debug, Clone, PartialEq)]
pub struct Onboarded {
    /// The sub-organization.
    pub organization: OrganizationView,
    /// Its first user (an admin, with a verified address).
    pub user: UserView,
    /// That user's live and test keys, in that order.
    pub api_keys: Vec<CreatedApiKey>,
    /// The sub-organization's usage this month (nothing sent yet, so no spend either).
    pub usage: MonthlyUsage,
}

/// Onboarding.
pub trait Onboarding: Send + Sync {
    /// Creates the sub-organization, its first user and the user's live and test keys,
    /// whole or not at all.
    fn onboard(
        &self,
        actor: &Actor,
        new: NewSubOrganization,
        idempotency: Option<Idempotency<Onboarded>>,
    ) -> ServiceResult<Outcome<Onboarded>>;
}
