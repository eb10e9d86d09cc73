//! # orgplane-memory-adapter
//!
//! An in-memory [`Store`]: the reference implementation of the repository contract and
//! the fast backend for use-case tests. A transaction works on a copy of the state and
//! swaps it in on success, so a failed transaction leaves nothing behind.

use chrono::{DateTime, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::api_key::ApiKey;
use orgplane_domain::audit::{AccessLogEntry, AuditEntry, NewAuditEntry};
use orgplane_domain::organization::{Organization, OrganizationId, Permalink};
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{Email, User, UserId};
use orgplane_ports::store::*;
use std::sync::{Arc, Mutex, MutexGuard};
use uuid::Uuid;

/// An in-memory store. Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Clone, Default)]
struct State {
    next_id: i64,
    organizations: Vec<(Organization, Option<DateTime<Utc>>)>,
    users: Vec<(User, Option<DateTime<Utc>>)>,
    api_keys: Vec<(ApiKey, SecretHash)>,
    sessions: Vec<(Session, SecretHash)>,
    audit: Vec<(NewAuditEntry, i64, DateTime<Utc>)>,
    access: Vec<AccessLogEntry>,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic inside a transaction never swaps its copy in, so the data is intact.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for MemoryStore {
    fn transaction<T, E>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut guard = self.lock();
        let mut copy = guard.clone();
        let result = work(&mut copy)?;
        *guard = copy;
        Ok(result)
    }

    fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl State {
    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn live_org(&self, id: OrganizationId) -> Option<&Organization> {
        self.organizations
            .iter()
            .find(|(o, d)| o.id == id && d.is_none())
            .map(|(o, _)| o)
    }

    fn live_users(&self) -> impl Iterator<Item = &User> {
        self.users
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(u, _)| u)
    }
}

fn after(cursor: Option<Cursor>) -> i64 {
    cursor.map_or(i64::MIN, |c| c.after)
}

fn before(cursor: Option<Cursor>) -> i64 {
    cursor.map_or(i64::MAX, |c| c.after)
}

impl OrganizationRepository for State {
    fn insert_organization(&mut self, new: InsertOrganization) -> StoreResult<Organization> {
        if self.permalink_taken(&new.permalink)? {
            return Err(StoreError::Conflict(Unique::Permalink));
        }
        let org = new.into_organization(OrganizationId(self.id()));
        self.organizations.push((org.clone(), None));
        Ok(org)
    }

    fn organization(&mut self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        Ok(self.live_org(id).cloned())
    }

    fn organization_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<Organization>> {
        Ok(self
            .organizations
            .iter()
            .find(|(o, d)| o.uuid == uuid && d.is_none())
            .map(|(o, _)| o.clone()))
    }

    fn lock_organization(
        &mut self,
        id: OrganizationId,
        _lock: Lock,
    ) -> StoreResult<Option<Organization>> {
        // Transactions already run one at a time here.
        Ok(self.live_org(id).cloned())
    }

    fn lock_path(&mut self, path: &[OrganizationId]) -> StoreResult<bool> {
        Ok(path.iter().all(|id| self.live_org(*id).is_some()))
    }

    fn permalink_taken(&mut self, permalink: &Permalink) -> StoreResult<bool> {
        Ok(self
            .organizations
            .iter()
            .any(|(o, d)| &o.permalink == permalink && d.is_none()))
    }

    fn list_organizations(
        &mut self,
        filter: &OrganizationFilter,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        let needle = filter.search.as_ref().map(|s| s.to_lowercase());
        let mut found: Vec<Organization> = self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && o.id.0 > after(cursor))
            .map(|(o, _)| o)
            .filter(|o| filter.within.is_none_or(|w| o.is_within(w)))
            .filter(|o| filter.parent.is_none_or(|p| o.parent_id == Some(p)))
            .filter(|o| {
                needle.as_ref().is_none_or(|n| {
                    o.name.as_str().to_lowercase().contains(n) || o.permalink.as_str().contains(n)
                })
            })
            .cloned()
            .collect();
        found.sort_by_key(|o| o.id);
        found.truncate(limit);
        Ok(found)
    }

    fn update_organization(&mut self, org: &Organization) -> StoreResult<()> {
        if let Some((stored, _)) = self
            .organizations
            .iter_mut()
            .find(|(o, d)| o.id == org.id && d.is_none())
        {
            *stored = org.clone();
        }
        Ok(())
    }

    fn count_children(&mut self, id: OrganizationId) -> StoreResult<u64> {
        Ok(self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && o.parent_id == Some(id))
            .count() as u64)
    }

    fn delete_organization_subtree(
        &mut self,
        id: OrganizationId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut doomed = Vec::new();
        for (org, deleted) in self
            .organizations
            .iter_mut()
            .filter(|(o, d)| d.is_none() && o.is_within(id))
        {
            *deleted = Some(now);
            doomed.push(org.id);
        }
        let users: Vec<UserId> = self
            .live_users()
            .filter(|u| doomed.contains(&u.home_organization_id))
            .map(|u| u.id)
            .collect();
        for user in users {
            self.delete_user(user, now)?;
        }
        Ok(doomed.len() as u64)
    }
}

impl UserRepository for State {
    fn insert_user(&mut self, new: InsertUser) -> StoreResult<User> {
        if self.live_users().any(|u| u.email == new.email) {
            return Err(StoreError::Conflict(Unique::Email));
        }
        let user = new.into_user(UserId(self.id()));
        self.users.push((user.clone(), None));
        Ok(user)
    }

    fn user(&mut self, id: UserId) -> StoreResult<Option<User>> {
        Ok(self.live_users().find(|u| u.id == id).cloned())
    }

    fn lock_user(&mut self, id: UserId, _lock: Lock) -> StoreResult<Option<User>> {
        self.user(id)
    }

    fn record_login(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        for (user, _) in self
            .users
            .iter_mut()
            .filter(|(u, d)| u.id == id && d.is_none())
        {
            user.last_login_time = Some(now);
        }
        Ok(())
    }

    fn user_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<User>> {
        Ok(self.live_users().find(|u| u.uuid == uuid).cloned())
    }

    fn user_by_email(&mut self, email: &Email) -> StoreResult<Option<User>> {
        Ok(self.live_users().find(|u| &u.email == email).cloned())
    }

    fn list_users(
        &mut self,
        organization: OrganizationId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<User>> {
        let mut users: Vec<User> = self
            .live_users()
            .filter(|u| u.home_organization_id == organization && u.id.0 > after(cursor))
            .cloned()
            .collect();
        users.sort_by_key(|u| u.id);
        users.truncate(limit);
        Ok(users)
    }

    fn count_users(&mut self, organization: OrganizationId) -> StoreResult<u64> {
        Ok(self
            .live_users()
            .filter(|u| u.home_organization_id == organization)
            .count() as u64)
    }

    fn count_users_with_role_within(
        &mut self,
        root: OrganizationId,
        role: Role,
    ) -> StoreResult<u64> {
        let within: Vec<OrganizationId> = self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && o.is_within(root))
            .map(|(o, _)| o.id)
            .collect();
        Ok(self
            .live_users()
            .filter(|u| within.contains(&u.home_organization_id) && u.roles.contains(&role))
            .count() as u64)
    }

    fn update_user(&mut self, user: &User) -> StoreResult<()> {
        if self
            .live_users()
            .any(|u| u.id != user.id && u.email == user.email)
        {
            return Err(StoreError::Conflict(Unique::Email));
        }
        if let Some((stored, _)) = self
            .users
            .iter_mut()
            .find(|(u, d)| u.id == user.id && d.is_none())
        {
            *stored = user.clone();
        }
        Ok(())
    }

    fn delete_user(&mut self, id: UserId, now: DateTime<Utc>) -> StoreResult<()> {
        for (_, deleted) in self
            .users
            .iter_mut()
            .filter(|(u, d)| u.id == id && d.is_none())
        {
            *deleted = Some(now);
        }
        for (key, _) in self
            .api_keys
            .iter_mut()
            .filter(|(k, _)| k.user_id == id && k.revoked_at.is_none())
        {
            key.revoked_at = Some(now);
        }
        self.end_sessions(id, None, now);
        Ok(())
    }
}

impl ApiKeyRepository for State {
    fn insert_api_key(&mut self, new: InsertApiKey) -> StoreResult<ApiKey> {
        if self.api_keys.iter().any(|(_, h)| *h == new.hash) {
            return Err(StoreError::Conflict(Unique::SecretHash));
        }
        let key = ApiKey {
            id: self.id(),
            uuid: new.uuid,
            user_id: new.user_id,
            organization_id: new.organization_id,
            mode: new.mode,
            prefix: new.prefix,
            active_until: new.active_until,
            revoked_at: None,
            last_used_at: None,
            created_at: new.now,
        };
        self.api_keys.push((key.clone(), new.hash));
        Ok(key)
    }

    fn api_key_by_hash(&mut self, hash: &SecretHash) -> StoreResult<Option<ApiKey>> {
        Ok(self
            .api_keys
            .iter()
            .find(|(_, h)| h == hash)
            .map(|(k, _)| k.clone()))
    }

    fn api_key_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<ApiKey>> {
        Ok(self
            .api_keys
            .iter()
            .find(|(k, _)| k.uuid == uuid && k.revoked_at.is_none())
            .map(|(k, _)| k.clone()))
    }

    fn list_api_keys(
        &mut self,
        user: UserId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<ApiKey>> {
        let mut keys: Vec<ApiKey> = self
            .api_keys
            .iter()
            .map(|(k, _)| k)
            .filter(|k| k.user_id == user && k.revoked_at.is_none() && k.id > after(cursor))
            .cloned()
            .collect();
        keys.sort_by_key(|k| k.id);
        keys.truncate(limit);
        Ok(keys)
    }

    fn touch_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        for (key, _) in self.api_keys.iter_mut().filter(|(k, _)| k.id == id) {
            key.last_used_at = Some(now);
        }
        Ok(())
    }

    fn revoke_api_key(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        let mut revoked = false;
        for (key, _) in self
            .api_keys
            .iter_mut()
            .filter(|(k, _)| k.id == id && k.revoked_at.is_none())
        {
            key.revoked_at = Some(now);
            revoked = true;
        }
        Ok(revoked)
    }
}

impl SessionRepository for State {
    fn revoke_user_sessions(
        &mut self,
        user: UserId,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        Ok(self.end_sessions(user, except, now))
    }

    fn insert_session(
        &mut self,
        user: UserId,
        organization: OrganizationId,
        hash: SecretHash,
        expires_at: DateTime<Utc>,
        _now: DateTime<Utc>,
    ) -> StoreResult<Session> {
        if self.sessions.iter().any(|(_, h)| *h == hash) {
            return Err(StoreError::Conflict(Unique::SecretHash));
        }
        let session = Session {
            id: self.id(),
            user_id: user,
            organization_id: organization,
            expires_at,
            revoked_at: None,
        };
        self.sessions.push((session.clone(), hash));
        Ok(session)
    }

    fn session_by_hash(&mut self, hash: &SecretHash) -> StoreResult<Option<Session>> {
        Ok(self
            .sessions
            .iter()
            .find(|(_, h)| h == hash)
            .map(|(s, _)| s.clone()))
    }

    fn revoke_session(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        for (session, _) in self
            .sessions
            .iter_mut()
            .filter(|(s, _)| s.id == id && s.revoked_at.is_none())
        {
            session.revoked_at = Some(now);
        }
        Ok(())
    }
}

impl State {
    fn end_sessions(&mut self, user: UserId, except: Option<i64>, now: DateTime<Utc>) -> u64 {
        let mut ended = 0;
        for (session, _) in self.sessions.iter_mut() {
            if session.user_id == user && session.revoked_at.is_none() && Some(session.id) != except
            {
                session.revoked_at = Some(now);
                ended += 1;
            }
        }
        ended
    }
}

impl AuditLogRepository for State {
    fn append_audit(&mut self, entry: NewAuditEntry, now: DateTime<Utc>) -> StoreResult<()> {
        let id = self.id();
        self.audit.push((entry, id, now));
        Ok(())
    }

    fn list_audit(
        &mut self,
        query: &AuditQuery,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AuditEntry>> {
        let in_scope =
            |org: OrganizationId| match self.organizations.iter().find(|(o, _)| o.id == org) {
                Some((o, _)) if query.descendants => {
                    o.id != query.organization && o.is_within(query.organization)
                }
                Some((o, _)) => o.id == query.organization,
                None => false,
            };
        let mut entries: Vec<AuditEntry> = self
            .audit
            .iter()
            .filter(|(e, id, at)| {
                *id < before(cursor)
                    && in_scope(e.organization_id)
                    && query.action.as_ref().is_none_or(|a| &e.action == a)
                    && query.from.is_none_or(|from| *at >= from)
                    && query.to.is_none_or(|to| *at < to)
            })
            .map(|(e, id, at)| {
                let org_uuid = self
                    .organizations
                    .iter()
                    .find(|(o, _)| o.id == e.organization_id)
                    .map(|(o, _)| o.uuid);
                let actor = e
                    .actor_user_id
                    .and_then(|u| self.users.iter().find(|(x, _)| x.id == u))
                    .map(|(u, _)| u);
                let key = e
                    .actor_api_key_id
                    .and_then(|k| self.api_keys.iter().find(|(x, _)| x.id == k))
                    .map(|(k, _)| k.uuid);
                AuditEntry {
                    id: *id,
                    organization_id: org_uuid.unwrap_or_default(),
                    actor: actor.map(|u| u.email.as_str().to_owned()),
                    actor_user_id: actor.map(|u| u.uuid),
                    actor_api_key_id: key,
                    action: e.action.clone(),
                    target_type: e.target_type.to_owned(),
                    target_id: e.target_id,
                    changes: e.changes.clone(),
                    created_at: *at,
                }
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.id));
        entries.truncate(limit);
        Ok(entries)
    }
}

impl AccessLogRepository for State {
    fn mark_access_success(&mut self, id: i64) -> StoreResult<()> {
        for entry in self.access.iter_mut().filter(|e| e.id == id) {
            entry.status = orgplane_domain::audit::AccessStatus::Success;
        }
        Ok(())
    }

    fn lock_login_attempts(&mut self, _email: &str, _client_ip: Option<&str>) -> StoreResult<()> {
        // Transactions already run one at a time here.
        Ok(())
    }

    fn append_access(&mut self, entry: NewAccessLogEntry, now: DateTime<Utc>) -> StoreResult<i64> {
        let id = self.id();
        self.access.push(AccessLogEntry {
            id,
            organization_id: entry.organization_id,
            user_id: entry.user_id,
            email: entry.email,
            action: entry.action,
            status: entry.status,
            client_ip: entry.client_ip,
            created_at: now,
        });
        Ok(id)
    }

    fn list_access(
        &mut self,
        query: &AccessQuery,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<AccessLogEntry>> {
        let mut entries: Vec<AccessLogEntry> = self
            .access
            .iter()
            .filter(|e| {
                e.organization_id == Some(query.organization)
                    && e.id < before(cursor)
                    && query.action.is_none_or(|a| e.action == a)
                    && query.status.is_none_or(|s| e.status == s)
                    && query.from.is_none_or(|from| e.created_at >= from)
                    && query.to.is_none_or(|to| e.created_at < to)
            })
            .cloned()
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.id));
        entries.truncate(limit);
        Ok(entries)
    }

    fn recent_login_failures(
        &mut self,
        email: Option<&str>,
        client_ip: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> StoreResult<Vec<DateTime<Utc>>> {
        use orgplane_domain::audit::{AccessAction, AccessStatus};
        let mut times: Vec<DateTime<Utc>> = self
            .access
            .iter()
            .filter(|e| {
                e.action == AccessAction::Login
                    && e.status == AccessStatus::Failure
                    && e.created_at > since
            })
            .filter(|e| {
                email.is_none_or(|m| {
                    e.email
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(m))
                })
            })
            .filter(|e| client_ip.is_none_or(|ip| e.client_ip.as_deref() == Some(ip)))
            .map(|e| e.created_at)
            .collect();
        times.sort_by(|a, b| b.cmp(a));
        times.truncate(limit);
        Ok(times)
    }
}

#[cfg(test)]
mod contract {
    use super::MemoryStore;
    orgplane_ports::store_contract_tests!(MemoryStore::default);
}
