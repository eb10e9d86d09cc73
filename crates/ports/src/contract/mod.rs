//! The repository contract: one suite that every [`Store`] implementation must pass, one
//! module of cases per concept.
//!
//! An adapter runs it with [`store_contract_tests!`](crate::store_contract_tests), giving an
//! expression that makes a fresh, empty store:
//!
//! ```ignore
//! orgplane_ports::store_contract_tests!(MemoryStore::default);
//! ```

mod api_key;
mod event;
mod idempotency;
mod infrastructure;
mod ip_allocation;
mod log;
mod organization;
mod overview;
mod statistics;
mod sub_organization;
mod usage;
mod user;

pub use api_key::*;
pub use event::*;
pub use idempotency::*;
pub use infrastructure::*;
pub use ip_allocation::*;
pub use log::*;
pub use organization::*;
pub use overview::*;
pub use statistics::*;
pub use sub_organization::*;
pub use usage::*;
pub use user::*;

use crate::store::*;
use chrono::{DateTime, TimeZone, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::api_key::ApiKeyMode;
use orgplane_domain::ip_address::{Hostname, IpAddress, Priority, SendingIpv4, SendingIpv6};
use orgplane_domain::ip_pool::{IpPool, IpPoolId, PoolName};
use orgplane_domain::organization::*;
use orgplane_domain::server::{SendLimit, Server, ServerMode, ServerName, ServerPermalink};
use orgplane_domain::user::{Email, EmailPreferences, PasswordHash, UserName};
use uuid::Uuid;

/// Generates one `#[test]` per contract case for the store made by `$make`.
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@cases $make;
            organization_round_trips,
            sub_organization_path_extends_the_parent_path,
            permalinks_are_unique_among_live_organizations,
            listing_filters_and_pages_by_key,
            updates_persist,
            deleting_a_subtree_leaves_the_rest,
            deleting_a_current_organization_sends_its_users_home,
            a_failed_transaction_changes_nothing,
            user_emails_are_unique_case_insensitively,
            users_round_trip_and_update,
            deleting_a_user_revokes_its_credentials,
            api_keys_are_found_by_hash_and_revoked,
            sessions_are_found_by_hash_and_revoked,
            all_other_sessions_of_a_user_end_together,
            audit_entries_are_listed_per_scope_newest_first,
            access_log_counts_recent_login_failures,
            locked_reads_see_the_live_row,
            a_locked_read_waits_for_the_concurrent_writer,
            a_child_added_while_its_parent_is_deleted_is_deleted_too,
            a_grandchild_added_while_an_ancestor_is_deleted_is_deleted_too,
            a_locked_user_read_waits_for_the_concurrent_writer,
            login_attempts_for_one_address_run_one_at_a_time,
            login_attempts_from_one_client_run_one_at_a_time,
            users_holding_a_role_are_counted_across_the_subtree,
            recording_a_login_touches_nothing_else,
            organizations_are_read_by_keys_and_subtrees_locked_root_first,
            suspensions_are_stored_with_their_origin,
            deleting_an_organization_takes_its_infrastructure,
            servers_round_trip_and_update,
            server_names_and_permalinks_are_unique_per_organization,
            servers_are_found_by_organization_subtree_and_pool,
            a_pool_deleted_while_a_server_is_pointed_at_it_sees_the_server,
            a_server_cannot_be_pointed_at_a_pool_deleted_meanwhile,
            pools_round_trip_with_one_default_per_organization,
            an_address_sits_in_several_pools,
            ip_addresses_are_unique_among_live_addresses,
            allocation_inputs_are_what_the_parts_read,
            statistics_inputs_are_what_the_parts_read,
            counters_add_up_across_batches,
            queues_never_go_below_zero,
            two_batches_on_the_same_counters_lose_nothing,
            per_second_counts_are_read_by_window_and_pruned,
            usage_accumulates_per_organization_and_month,
            idempotency_keys_are_claimed_once_and_expire,
            a_duplicate_request_waits_for_the_first,
            organizations_are_counted_and_paged_by_offset,
            counts_follow_creates_and_deletes_at_every_depth,
            users_are_counted_per_organization_and_found_by_terms,
            member_counts_are_what_the_parts_count,
            a_children_page_is_what_the_parts_read,
            security_facts_count_only_the_live_subtree
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::contract::$case(&$make);
            }
        )*
    };
}

pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0)
        .single()
        .expect("valid time")
}

pub(crate) fn must<T, S: Store>(
    store: &S,
    f: impl FnOnce(&mut dyn Repositories) -> StoreResult<T>,
) -> T {
    store.transaction(f).expect("store operation")
}

pub(crate) fn new_org(name: &str, parent: Option<&Organization>) -> InsertOrganization {
    let name = OrganizationName::parse(name).expect("name");
    InsertOrganization {
        uuid: Uuid::new_v4(),
        permalink: Permalink::derive_from(&name).expect("permalink"),
        name,
        profile: Profile {
            country_code: Some(CountryCode::parse("DE").expect("code")),
            domain: Some(DomainName::parse("example.com").expect("domain")),
            ..Profile::default()
        },
        parent: parent.map(|p| p.id),
        parent_uuid: parent.map(|p| p.uuid),
        parent_path: parent.map(|p| p.path.clone()).unwrap_or_default(),
        limit: Some(MonthlyLimit::new(1000).expect("limit")),
        customizations: Customizations::parse(serde_json::json!({"theme": "dark"})).expect("json"),
        suspension: None,
        now: t(0),
    }
}

pub(crate) fn insert_org<S: Store>(
    store: &S,
    name: &str,
    parent: Option<&Organization>,
) -> Organization {
    must(store, |r| r.insert_organization(new_org(name, parent)))
}

pub(crate) fn new_user(email: &str, org: &Organization) -> InsertUser {
    InsertUser {
        uuid: Uuid::new_v4(),
        email: Email::parse(email).expect("email"),
        name: UserName::parse("Jane Doe").expect("name"),
        phone_number: None,
        password_hash: PasswordHash("$argon2id$v=19$fake".into()),
        roles: vec![Role::Admin],
        email_preferences: EmailPreferences::default(),
        verified_email: false,
        pending_invite: false,
        organization_id: org.id,
        now: t(0),
    }
}

pub(crate) fn new_key(user: &orgplane_domain::user::User, hash: u8) -> InsertApiKey {
    InsertApiKey {
        uuid: Uuid::new_v4(),
        user_id: user.id,
        organization_id: user.home_organization_id,
        mode: ApiKeyMode::Live,
        prefix: "live_abcdef0".into(),
        hash: [hash; 32],
        active_until: None,
        now: t(0),
    }
}

/// Runs `first` in a transaction that signals once it holds its locks and then dawdles,
/// and `second` in another transaction once the signal came; returns both results.
pub(crate) fn race<S: Store, A: Send, B>(
    store: &S,
    first: impl FnOnce(&mut dyn Repositories, &dyn Fn()) -> StoreResult<A> + Send,
    second: impl FnOnce(&mut dyn Repositories) -> StoreResult<B>,
) -> (A, B) {
    let (locked, wait_for_lock) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let holder = s.spawn(move || {
            must(store, |r| {
                first(r, &|| {
                    locked.send(()).expect("signal");
                    // Give the second transaction every chance to go too early.
                    std::thread::sleep(std::time::Duration::from_millis(300));
                })
            })
        });
        wait_for_lock
            .recv()
            .expect("first transaction holds its locks");
        let b = must(store, second);
        (holder.join().expect("first transaction"), b)
    })
}

pub(crate) fn new_server(name: &str, org: &Organization, pool: Option<IpPoolId>) -> InsertServer {
    let name = ServerName::parse(name).expect("name");
    InsertServer {
        uuid: Uuid::new_v4(),
        organization_id: org.id,
        permalink: ServerPermalink::candidates(&name, 1).expect("permalink")[0].clone(),
        name,
        mode: ServerMode::Live,
        ip_pool_id: pool,
        send_limit: SendLimit::new(100).ok(),
        suspension: None,
        now: t(0),
    }
}

pub(crate) fn insert_server<S: Store>(
    store: &S,
    name: &str,
    org: &Organization,
    pool: Option<IpPoolId>,
) -> Server {
    must(store, |r| r.insert_server(new_server(name, org, pool)))
}

pub(crate) fn new_pool(name: &str, org: &Organization, default: bool) -> InsertIpPool {
    InsertIpPool {
        uuid: Uuid::new_v4(),
        organization_id: org.id,
        name: PoolName::parse(name).expect("name"),
        default,
        now: t(0),
    }
}

pub(crate) fn insert_pool<S: Store>(store: &S, name: &str, org: &Organization) -> IpPool {
    must(store, |r| r.insert_ip_pool(new_pool(name, org, false)))
}

pub(crate) fn new_address(ipv4: &str, ipv6: Option<&str>, org: &Organization) -> InsertIpAddress {
    InsertIpAddress {
        uuid: Uuid::new_v4(),
        organization_id: org.id,
        ipv4: SendingIpv4::parse(ipv4).expect("ipv4"),
        ipv6: ipv6.map(|v| SendingIpv6::parse(v).expect("ipv6")),
        hostname: Hostname::parse("mail.example.com").expect("hostname"),
        priority: Priority::new(90).expect("priority"),
        now: t(0),
    }
}

pub(crate) fn insert_address<S: Store>(store: &S, ipv4: &str, org: &Organization) -> IpAddress {
    must(store, |r| r.insert_ip_address(new_address(ipv4, None, org)))
}
