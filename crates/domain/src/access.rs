//! Who may do what, where.
//!
//! Two rules decide every request:
//!
//! 1. **Reach.** A user acts in its home organization and that organization's descendants,
//!    never above or beside it. Platform administrators reach everything. What is out of
//!    reach is reported as *not found*, never as *forbidden*, so that nothing leaks.
//! 2. **Role.** Within reach, the user's roles decide which [`Permission`]s it holds,
//!    per the table in [`Role::allows`].
//!
//! Test-mode API keys may read but never change configuration.

use crate::api_key::ApiKeyMode;
use crate::organization::{Organization, OrganizationId};
use crate::user::{Email, UserId};
use serde::Serialize;
use uuid::Uuid;

/// A role a user holds in its reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Operates the platform: reaches every organization, may do everything.
    PlatformAdmin,
    /// Manages its organizations: structure, users, keys, logs.
    Admin,
    /// Works with the organizations: reads everything, manages its own keys.
    Member,
    /// Reads only (and manages its own keys).
    Viewer,
}

/// Why a role name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`: expected admin, member or viewer")]
pub struct RoleError(pub String);

impl Role {
    /// Parses a role name as clients send it.
    pub fn parse(raw: &str) -> Result<Self, RoleError> {
        match raw {
            "platform_admin" => Ok(Self::PlatformAdmin),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            "viewer" => Ok(Self::Viewer),
            other => Err(RoleError(other.to_owned())),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::Admin => "admin",
            Self::Member => "member",
            Self::Viewer => "viewer",
        }
    }

    /// The permission table.
    ///
    /// | permission                 | platform_admin | admin | member | viewer |
    /// |----------------------------|:-:|:-:|:-:|:-:|
    /// | ViewOrganization           | ✓ | ✓ | ✓ | ✓ |
    /// | CreateTopLevelOrganization | ✓ |   |   |   |
    /// | CreateSubOrganization      | ✓ | ✓ |   |   |
    /// | UpdateOrganization         | ✓ | ✓ |   |   |
    /// | DeleteOrganization         | ✓ | ✓ |   |   |
    /// | ViewUsers                  | ✓ | ✓ | ✓ | ✓ |
    /// | ManageUsers                | ✓ | ✓ |   |   |
    /// | ManageOwnApiKeys           | ✓ | ✓ | ✓ | ✓ |
    /// | ViewAnyApiKeys             | ✓ | ✓ |   |   |
    /// | ManageAnyApiKeys           | ✓ | ✓ |   |   |
    /// | ViewLogs                   | ✓ | ✓ |   |   |
    /// | ManageInfrastructure       | ✓ | ✓ |   |   |
    /// | ReportEvents               | ✓ | ✓ | ✓ |   |
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Self::PlatformAdmin => true,
            // Listed, not "all but": a permission added later is granted deliberately.
            Self::Admin => matches!(
                permission,
                ViewOrganization
                    | CreateSubOrganization
                    | UpdateOrganization
                    | DeleteOrganization
                    | ViewUsers
                    | ManageUsers
                    | ManageOwnApiKeys
                    | ViewAnyApiKeys
                    | ManageAnyApiKeys
                    | ViewLogs
                    | ManageInfrastructure
                    | ReportEvents
            ),
            Self::Member => matches!(
                permission,
                ViewOrganization | ViewUsers | ManageOwnApiKeys | ReportEvents
            ),
            Self::Viewer => matches!(permission, ViewOrganization | ViewUsers | ManageOwnApiKeys),
        }
    }
}

/// Something a caller may want to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read an organization and its settings.
    ViewOrganization,
    /// Create an organization without a parent.
    CreateTopLevelOrganization,
    /// Create a sub-organization.
    CreateSubOrganization,
    /// Change an organization or its customizations.
    UpdateOrganization,
    /// Delete an organization.
    DeleteOrganization,
    /// List and read users.
    ViewUsers,
    /// Create, change and delete users.
    ManageUsers,
    /// Create, list and revoke one's own API keys.
    ManageOwnApiKeys,
    /// List other users' API keys.
    ViewAnyApiKeys,
    /// Create and revoke other users' API keys.
    ManageAnyApiKeys,
    /// Read access and audit logs.
    ViewLogs,
    /// Create, change and delete servers, IP pools and IP addresses.
    ManageInfrastructure,
    /// Report message events for servers (what the sending engine does).
    ReportEvents,
}

impl Permission {
    /// Whether the permission changes configuration (test-mode keys are refused those).
    /// Reporting events is not one: a test key may report them, and they never count.
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            Self::ViewOrganization
                | Self::ViewUsers
                | Self::ViewAnyApiKeys
                | Self::ViewLogs
                | Self::ReportEvents
        )
    }

    /// Every permission, for exhaustive tests.
    pub const ALL: [Permission; 13] = [
        Self::ViewOrganization,
        Self::CreateTopLevelOrganization,
        Self::CreateSubOrganization,
        Self::UpdateOrganization,
        Self::DeleteOrganization,
        Self::ViewUsers,
        Self::ManageUsers,
        Self::ManageOwnApiKeys,
        Self::ViewAnyApiKeys,
        Self::ManageAnyApiKeys,
        Self::ViewLogs,
        Self::ManageInfrastructure,
        Self::ReportEvents,
    ];
}

/// How the caller proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// An API key (its integer key and mode).
    ApiKey {
        /// The key's id.
        id: i64,
        /// Live or test.
        mode: ApiKeyMode,
    },
    /// A login session (its integer key).
    Session {
        /// The session's id.
        id: i64,
    },
    /// The operator's command line (bootstrap); never reaches over HTTP.
    Console,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// The user behind the request.
    pub user_id: UserId,
    /// Its public id.
    pub user_uuid: Uuid,
    /// Its e-mail address (for logs).
    pub email: Email,
    /// Its home organization.
    pub home: OrganizationId,
    /// Its current (default) organization: its home or one below it, always live.
    pub current: OrganizationId,
    /// Its roles.
    pub roles: Vec<Role>,
    /// The credential used.
    pub credential: CredentialKind,
    /// Where the request came from (for the access log and throttling), if known.
    pub client_ip: Option<String>,
}

/// Why an actor may not do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The target is out of reach: answer exactly as if it did not exist.
    #[error("not found")]
    OutOfReach,
    /// Within reach, but no role grants the permission.
    #[error("your role does not allow this")]
    Forbidden,
    /// A test-mode key tried to change configuration.
    #[error("test-mode API keys cannot change configuration; use a live key")]
    TestKey,
}

impl Actor {
    /// Whether the actor operates the whole platform.
    pub fn is_platform_admin(&self) -> bool {
        self.roles.contains(&Role::PlatformAdmin)
    }

    /// Whether the request came with a test-mode API key.
    pub fn is_test_mode(&self) -> bool {
        matches!(
            self.credential,
            CredentialKind::ApiKey {
                mode: ApiKeyMode::Test,
                ..
            }
        )
    }

    /// Whether `org` is within the actor's reach.
    pub fn reaches(&self, org: &Organization) -> bool {
        self.is_platform_admin() || org.is_within(self.home)
    }

    /// Whether any of the actor's roles grants `permission` (reach aside).
    pub fn holds(&self, permission: Permission) -> Result<(), Denied> {
        if permission.is_write() && self.is_test_mode() {
            return Err(Denied::TestKey);
        }
        if self.roles.iter().any(|r| r.allows(permission)) {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// Whether the actor may change, delete or mint keys for a user holding `target_roles`
    /// (reach and permission aside): nobody but a platform administrator touches a
    /// platform administrator.
    pub fn may_manage_user(&self, target_roles: &[Role]) -> Result<(), Denied> {
        if target_roles.contains(&Role::PlatformAdmin) && !self.is_platform_admin() {
            return Err(Denied::Forbidden);
        }
        Ok(())
    }

    /// Whether the actor may hand out `roles`: only platform administrators make platform
    /// administrators.
    pub fn may_grant(&self, roles: &[Role]) -> Result<(), Denied> {
        self.may_manage_user(roles)
    }

    /// Whether the actor may set the monthly limit of `org`, or suspend it or lift its
    /// suspension: only from above (an ancestor organization's admin) or as a platform
    /// administrator, never for its own home organization.
    pub fn may_govern(&self, org: &Organization) -> Result<(), Denied> {
        if self.is_platform_admin() || org.id != self.home {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// Reach first (so nothing leaks), then role.
    pub fn authorize(&self, permission: Permission, org: &Organization) -> Result<(), Denied> {
        if !self.reaches(org) {
            return Err(Denied::OutOfReach);
        }
        self.holds(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::organization::fixtures::organization;
    use Permission::*;

    fn actor(home: OrganizationId, roles: &[Role], credential: CredentialKind) -> Actor {
        Actor {
            user_id: UserId(1),
            user_uuid: Uuid::nil(),
            email: Email::parse("a@example.com").unwrap(),
            home,
            current: home,
            roles: roles.to_vec(),
            credential,
            client_ip: None,
        }
    }

    const LIVE: CredentialKind = CredentialKind::ApiKey {
        id: 1,
        mode: ApiKeyMode::Live,
    };

    #[test]
    fn the_role_table_holds_as_documented() {
        let table: &[(Permission, [bool; 4])] = &[
            // (permission, [platform_admin, admin, member, viewer])
            (ViewOrganization, [true, true, true, true]),
            (CreateTopLevelOrganization, [true, false, false, false]),
            (CreateSubOrganization, [true, true, false, false]),
            (UpdateOrganization, [true, true, false, false]),
            (DeleteOrganization, [true, true, false, false]),
            (ViewUsers, [true, true, true, true]),
            (ManageUsers, [true, true, false, false]),
            (ManageOwnApiKeys, [true, true, true, true]),
            (ViewAnyApiKeys, [true, true, false, false]),
            (ManageAnyApiKeys, [true, true, false, false]),
            (ViewLogs, [true, true, false, false]),
            (ManageInfrastructure, [true, true, false, false]),
            (ReportEvents, [true, true, true, false]),
        ];
        assert_eq!(
            table.len(),
            Permission::ALL.len(),
            "every permission is in the table"
        );
        let roles = [Role::PlatformAdmin, Role::Admin, Role::Member, Role::Viewer];
        for (permission, expected) in table {
            for (role, allowed) in roles.iter().zip(expected) {
                assert_eq!(
                    role.allows(*permission),
                    *allowed,
                    "{role:?} {permission:?}"
                );
            }
        }
    }

    #[test]
    fn reach_covers_the_home_subtree_only() {
        let root = organization(1, None);
        let home = organization(2, Some(&root));
        let child = organization(3, Some(&home));
        let sibling = organization(4, Some(&root));
        let admin = actor(home.id, &[Role::Admin], LIVE);

        assert!(admin.reaches(&home));
        assert!(admin.reaches(&child));
        assert_eq!(
            admin.authorize(ViewOrganization, &root),
            Err(Denied::OutOfReach)
        );
        assert_eq!(
            admin.authorize(ViewOrganization, &sibling),
            Err(Denied::OutOfReach)
        );
    }

    #[test]
    fn out_of_reach_wins_over_forbidden() {
        let other = organization(9, None);
        let viewer = actor(OrganizationId(1), &[Role::Viewer], LIVE);
        assert_eq!(
            viewer.authorize(DeleteOrganization, &other),
            Err(Denied::OutOfReach)
        );
    }

    #[test]
    fn platform_admins_reach_everything() {
        let anywhere = organization(42, None);
        let op = actor(OrganizationId(1), &[Role::PlatformAdmin], LIVE);
        assert_eq!(op.authorize(DeleteOrganization, &anywhere), Ok(()));
    }

    #[test]
    fn test_keys_read_but_never_write() {
        let home = organization(1, None);
        let test_key = CredentialKind::ApiKey {
            id: 1,
            mode: ApiKeyMode::Test,
        };
        let admin = actor(home.id, &[Role::Admin], test_key);
        assert_eq!(admin.authorize(ViewOrganization, &home), Ok(()));
        for p in Permission::ALL.into_iter().filter(|p| p.is_write()) {
            assert_eq!(admin.holds(p), Err(Denied::TestKey), "{p:?}");
        }
    }

    #[test]
    fn test_keys_read_everything_they_reach() {
        let test_key = CredentialKind::ApiKey {
            id: 1,
            mode: ApiKeyMode::Test,
        };
        let admin = actor(OrganizationId(1), &[Role::Admin], test_key);
        for p in Permission::ALL.into_iter().filter(|p| !p.is_write()) {
            assert_eq!(admin.holds(p), Ok(()), "{p:?}");
        }
    }

    #[test]
    fn only_platform_admins_touch_platform_admins() {
        let admin = actor(OrganizationId(1), &[Role::Admin], LIVE);
        let op = actor(OrganizationId(1), &[Role::PlatformAdmin], LIVE);
        assert_eq!(
            admin.may_manage_user(&[Role::PlatformAdmin]),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            admin.may_grant(&[Role::Admin, Role::PlatformAdmin]),
            Err(Denied::Forbidden)
        );
        assert_eq!(admin.may_manage_user(&[Role::Admin]), Ok(()));
        assert_eq!(op.may_manage_user(&[Role::PlatformAdmin]), Ok(()));
    }

    #[test]
    fn nobody_but_a_platform_admin_governs_its_own_home() {
        let root = organization(1, None);
        let child = organization(2, Some(&root));
        let admin = actor(root.id, &[Role::Admin], LIVE);
        assert_eq!(admin.may_govern(&root), Err(Denied::Forbidden));
        assert_eq!(admin.may_govern(&child), Ok(()));
        let op = actor(root.id, &[Role::PlatformAdmin], LIVE);
        assert_eq!(op.may_govern(&root), Ok(()));
    }

    #[test]
    fn unknown_roles_are_refused() {
        assert_eq!(Role::parse("owner"), Err(RoleError("owner".into())));
        for r in [Role::PlatformAdmin, Role::Admin, Role::Member, Role::Viewer] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
    }
}
