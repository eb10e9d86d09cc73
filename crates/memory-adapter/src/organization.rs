//! Organizations in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::organization::{Organization, OrganizationId, Permalink};
use orgplane_domain::page::Cursor;
use orgplane_domain::user::UserId;
use orgplane_ports::store::*;
use uuid::Uuid;

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
