//! IP address use cases.

use super::{audit, idempotent, organization_to_grow, reachable_organization, Change, Services};
use orgplane_domain::access::{Actor, Permission};
use orgplane_domain::ip_address::{IpAddress, IpAddressPatch, NewIpAddress};
use orgplane_domain::organization::Organization;
use orgplane_domain::page::Page;
use orgplane_ports::store::{InsertIpAddress, Lock, Repositories, Store};
use orgplane_ports::usecase::*;
use serde_json::json;
use uuid::Uuid;

/// A live address whose organization the actor reaches with `permission`, and that
/// organization. Out of reach reads like missing.
fn reachable_address(
    r: &mut dyn Repositories,
    actor: &Actor,
    id: Uuid,
    permission: Permission,
) -> ServiceResult<(IpAddress, Organization)> {
    let address = r.ip_address_by_uuid(id)?.ok_or(ServiceError::NotFound)?;
    let org = r
        .organization(address.organization_id)?
        .filter(|o| actor.reaches(o))
        .ok_or(ServiceError::NotFound)?;
    actor.authorize(permission, &org)?;
    Ok((address, org))
}

fn address_fields(a: &IpAddress, only: Option<&[&str]>) -> serde_json::Value {
    let all = json!({
        "ipv4": a.ipv4.to_string(),
        "ipv6": a.ipv6.map(|v| v.to_string()),
        "hostname": a.hostname.as_str(),
        "priority": a.priority.get(),
    });
    match (only, all) {
        (Some(fields), serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(k, _)| fields.contains(&k.as_str()))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        (_, all) => all,
    }
}

impl<S: Store> IpAddresses for Services<S> {
    fn create_ip_address(
        &self,
        actor: &Actor,
        organization: Uuid,
        new: NewIpAddress,
        idempotency: Option<Idempotency<IpAddressView>>,
    ) -> ServiceResult<Outcome<IpAddressView>> {
        let now = self.clock.now();
        let uuid = self.secrets.uuid();
        self.tx(|r| {
            idempotent(
                r,
                actor,
                idempotency.as_ref(),
                now,
                Permission::ManageInfrastructure,
                |r| {
                    let org = organization_to_grow(r, actor, organization)?;
                    actor.authorize(Permission::ManageInfrastructure, &org)?;
                    let address = r.insert_ip_address(InsertIpAddress {
                        uuid,
                        organization_id: org.id,
                        ipv4: new.ipv4,
                        ipv6: new.ipv6,
                        hostname: new.hostname,
                        priority: new.priority,
                        now,
                    })?;
                    let change = Change {
                        action: "ip_address.create",
                        target_type: "ip_address",
                        target_id: address.uuid,
                        fields: address_fields(&address, None),
                    };
                    audit(r, actor, org.id, change, now)?;
                    Ok(IpAddressView {
                        address,
                        organization_uuid: org.uuid,
                    })
                },
            )
        })
    }

    fn list_ip_addresses(
        &self,
        actor: &Actor,
        organization: Uuid,
        page: PageRequest,
    ) -> ServiceResult<Page<IpAddressView>> {
        self.read(|r| {
            let org = reachable_organization(r, actor, organization)?;
            actor.authorize(Permission::ViewOrganization, &org)?;
            let found = r.list_ip_addresses(org.id, page.cursor, page.fetch())?;
            Ok(
                Page::from_overfetch(found, page.limit, |a| a.id.0).map(|address| IpAddressView {
                    address,
                    organization_uuid: org.uuid,
                }),
            )
        })
    }

    fn get_ip_address(&self, actor: &Actor, id: Uuid) -> ServiceResult<IpAddressView> {
        self.read(|r| {
            let (address, org) = reachable_address(r, actor, id, Permission::ViewOrganization)?;
            Ok(IpAddressView {
                address,
                organization_uuid: org.uuid,
            })
        })
    }

    fn update_ip_address(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: IpAddressPatch,
    ) -> ServiceResult<IpAddressView> {
        let now = self.clock.now();
        self.tx(|r| {
            let (found, org) = reachable_address(r, actor, id, Permission::ManageInfrastructure)?;
            let mut address = r
                .lock_ip_address(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            let changed = address.apply(patch);
            if !changed.is_empty() {
                address.updated_at = now;
                r.update_ip_address(&address)?;
                let change = Change {
                    action: "ip_address.update",
                    target_type: "ip_address",
                    target_id: address.uuid,
                    fields: address_fields(&address, Some(&changed)),
                };
                audit(r, actor, org.id, change, now)?;
            }
            Ok(IpAddressView {
                address,
                organization_uuid: org.uuid,
            })
        })
    }

    fn delete_ip_address(&self, actor: &Actor, id: Uuid) -> ServiceResult<()> {
        let now = self.clock.now();
        self.tx(|r| {
            let (found, org) = reachable_address(r, actor, id, Permission::ManageInfrastructure)?;
            let address = r
                .lock_ip_address(found.id, Lock::Update)?
                .ok_or(ServiceError::NotFound)?;
            r.delete_ip_address(address.id, now)?;
            let change = Change {
                action: "ip_address.delete",
                target_type: "ip_address",
                target_id: address.uuid,
                fields: json!({ "ipv4": address.ipv4.to_string() }),
            };
            audit(r, actor, org.id, change, now)?;
            Ok(())
        })
    }
}
