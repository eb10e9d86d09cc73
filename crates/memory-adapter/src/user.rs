//! Users in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::access::Role;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{Email, User, UserId};
use orgplane_ports::store::*;
use uuid::Uuid;

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

    fn count_users_by_organization(
        &mut self,
        organizations: &[OrganizationId],
    ) -> StoreResult<Vec<(OrganizationId, u64)>> {
        Ok(organizations
            .iter()
            .map(|org| {
                let n = self
                    .live_users()
                    .filter(|u| u.home_organization_id == *org)
                    .count();
                (*org, n as u64)
            })
            .filter(|(_, n)| *n > 0)
            .collect())
    }

    fn find_users(
        &mut self,
        organization: OrganizationId,
        terms: &[String],
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<User>> {
        let mut users: Vec<User> = self
            .live_users()
            .filter(|u| u.home_organization_id == organization)
            .filter(|u| {
                let text = format!("{} {}", u.email, u.name).to_lowercase();
                terms.iter().all(|t| text.contains(t.as_str()))
            })
            .cloned()
            .collect();
        users.sort_by_key(|u| u.id);
        Ok(users
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit)
            .collect())
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

// The overview's counts are read piece by piece (the port's default).
impl OverviewRepository for State {}
