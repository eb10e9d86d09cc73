//! API keys and login sessions in memory.

use crate::{after, State};
use chrono::{DateTime, Utc};
use orgplane_domain::api_key::ApiKey;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_domain::user::{User, UserId};
use orgplane_ports::store::*;
use uuid::Uuid;

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

    fn api_key_by_hash(
        &mut self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(ApiKey, Option<User>)>> {
        Ok(self.api_keys.iter().find(|(_, h)| h == hash).map(|(k, _)| {
            let user = self.live_users().find(|u| u.id == k.user_id).cloned();
            (k.clone(), user)
        }))
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

    fn session_by_hash(
        &mut self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(Session, Option<User>)>> {
        Ok(self.sessions.iter().find(|(_, h)| h == hash).map(|(s, _)| {
            let user = self.live_users().find(|u| u.id == s.user_id).cloned();
            (s.clone(), user)
        }))
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
    pub(crate) fn end_sessions(
        &mut self,
        user: UserId,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> u64 {
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
