//! Organizations in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::organization::{Organization, OrganizationId, Permalink};
use orgplane_domain::page::Cursor;
use orgplane_domain::suspension::Suspension;
use orgplane_domain::user::UserId;
use orgplane_ports::store::*;
use uuid::Uuid;

/// What an organization is found by: the same fields, in the same form, as the
/// PostgreSQL store's `search_text`.
fn search_text(o: &Organization) -> String {
    let p = &o.profile;
    [
        Some(o.name.as_str()),
        Some(o.permalink.as_str()),
        p.domain.as_ref().map(|v| v.as_str()),
        p.city.as_ref().map(|v| v.as_str()),
        p.country.as_ref().map(|v| v.as_str()),
        p.country_code.as_ref().map(|v| v.as_str()),
    ]
    .map(|v| v.unwrap_or(""))
    .join(" ")
    .to_lowercase()
}

impl State {
    fn matching<'a>(
        &'a self,
        filter: &'a OrganizationFilter,
    ) -> impl Iterator<Item = &'a Organization> + 'a {
        self.organizations
            .iter()
            .filter(|(_, d)| d.is_none())
            .map(|(o, _)| o)
            .filter(|o| filter.within.is_none_or(|w| o.is_within(w)))
            .filter(|o| filter.parent.is_none_or(|p| o.parent_id == Some(p)))
            .filter(|o| {
                let text = search_text(o);
                filter.terms.iter().all(|t| text.contains(t.as_str()))
            })
    }
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

    fn organizations_by_ids(&mut self, ids: &[OrganizationId]) -> StoreResult<Vec<Organization>> {
        let mut found: Vec<Organization> = ids
            .iter()
            .filter_map(|id| self.live_org(*id).cloned())
            .collect();
        found.sort_by_key(|o| o.id);
        found.dedup_by_key(|o| o.id);
        Ok(found)
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
        let mut found: Vec<Organization> = self
            .matching(filter)
            .filter(|o| o.id.0 > after(cursor))
            .cloned()
            .collect();
        found.sort_by_key(|o| o.id);
        found.truncate(limit);
        Ok(found)
    }

    fn count_organizations(&mut self, filter: &OrganizationFilter) -> StoreResult<u64> {
        Ok(self.matching(filter).count() as u64)
    }

    fn organizations_at(
        &mut self,
        filter: &OrganizationFilter,
        offset: u64,
        limit: usize,
    ) -> StoreResult<Vec<Organization>> {
        let mut found: Vec<Organization> = self.matching(filter).cloned().collect();
        found.sort_by_key(|o| o.id);
        Ok(found
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(limit)
            .collect())
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

    fn lock_subtree(&mut self, root: OrganizationId) -> StoreResult<Vec<Organization>> {
        let mut found: Vec<Organization> = self
            .organizations
            .iter()
            .filter(|(o, d)| d.is_none() && o.is_within(root))
            .map(|(o, _)| o.clone())
            .collect();
        found.sort_by_key(|o| o.id);
        Ok(found)
    }

    fn set_organization_suspensions(
        &mut self,
        changes: &[(OrganizationId, Option<Suspension>)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        for (id, suspension) in changes {
            if let Some((org, _)) = self
                .organizations
                .iter_mut()
                .find(|(o, d)| o.id == *id && d.is_none())
            {
                org.suspension = *suspension;
                org.updated_at = now;
            }
        }
        Ok(())
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
        // Users elsewhere whose current organization this was fall back to their home.
        for (user, _) in self
            .users
            .iter_mut()
            .filter(|(u, d)| d.is_none() && doomed.contains(&u.current_organization_id))
        {
            user.current_organization_id = user.home_organization_id;
        }
        // Their infrastructure goes with them.
        for (_, deleted) in self
            .servers
            .iter_mut()
            .filter(|(s, d)| d.is_none() && doomed.contains(&s.organization_id))
        {
            *deleted = Some(now);
        }
        for (pool, deleted) in self
            .pools
            .iter_mut()
            .filter(|(p, d)| d.is_none() && doomed.contains(&p.organization_id))
        {
            pool.default = false;
            *deleted = Some(now);
        }
        let mut doomed_addresses = Vec::new();
        for (address, deleted) in self
            .addresses
            .iter_mut()
            .filter(|(a, d)| d.is_none() && doomed.contains(&a.organization_id))
        {
            *deleted = Some(now);
            doomed_addresses.push(address.id);
        }
        self.memberships
            .retain(|(_, a, org)| !doomed.contains(org) && !doomed_addresses.contains(a));
        Ok(doomed.len() as u64)
    }
}

// The sub-organization list is read piece by piece (the port's default).
impl SubOrganizationRepository for State {}
