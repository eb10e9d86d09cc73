//! IP addresses in PostgreSQL.

use crate::schema::{ip_addresses, ip_pool_addresses};
use crate::{corrupt, store_error, PgRepositories};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use orgplane_domain::ip_address::*;
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::page::Cursor;
use orgplane_ports::store::*;
use uuid::Uuid;

// Deserialize: the reports that read rows as JSON (ip_allocation.rs).
#[derive(Queryable, Selectable, serde::Deserialize)]
#[diesel(table_name = ip_addresses)]
pub(crate) struct AddressRow {
    id: i64,
    uuid: Uuid,
    organization_id: i64,
    ipv4: String,
    ipv6: Option<String>,
    hostname: String,
    priority: i16,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<AddressRow> for IpAddress {
    type Error = StoreError;

    fn try_from(row: AddressRow) -> StoreResult<Self> {
        Ok(IpAddress {
            id: IpAddressId(row.id),
            uuid: row.uuid,
            organization_id: OrganizationId(row.organization_id),
            ipv4: SendingIpv4::parse(&row.ipv4).map_err(|e| corrupt("ipv4", e))?,
            ipv6: row
                .ipv6
                .map(|v| SendingIpv6::parse(&v).map_err(|e| corrupt("ipv6", e)))
                .transpose()?,
            hostname: Hostname::parse(&row.hostname).map_err(|e| corrupt("hostname", e))?,
            priority: Priority::new(i64::from(row.priority)).map_err(|e| corrupt("priority", e))?,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

fn live() -> diesel::dsl::IsNull<ip_addresses::deleted_at> {
    ip_addresses::deleted_at.is_null()
}

fn addresses(rows: Vec<AddressRow>) -> StoreResult<Vec<IpAddress>> {
    rows.into_iter().map(IpAddress::try_from).collect()
}

impl IpAddressRepository for PgRepositories<'_> {
    fn insert_ip_address(&mut self, new: InsertIpAddress) -> StoreResult<IpAddress> {
        let address = new.into_address(IpAddressId(0));
        let id: i64 = diesel::insert_into(ip_addresses::table)
            .values((
                ip_addresses::uuid.eq(address.uuid),
                ip_addresses::organization_id.eq(address.organization_id.0),
                ip_addresses::ipv4.eq(address.ipv4.to_string()),
                ip_addresses::ipv6.eq(address.ipv6.map(|v| v.to_string())),
                ip_addresses::hostname.eq(address.hostname.as_str()),
                ip_addresses::priority.eq(i16::from(address.priority.get())),
                ip_addresses::created_at.eq(address.created_at),
                ip_addresses::updated_at.eq(address.updated_at),
            ))
            .returning(ip_addresses::id)
            .get_result(self.conn)
            .map_err(store_error)?;
        Ok(IpAddress {
            id: IpAddressId(id),
            ..address
        })
    }

    fn ip_address_by_uuid(&mut self, uuid: Uuid) -> StoreResult<Option<IpAddress>> {
        ip_addresses::table
            .filter(ip_addresses::uuid.eq(uuid).and(live()))
            .select(AddressRow::as_select())
            .first(self.conn)
            .optional()
            .map_err(store_error)?
            .map(IpAddress::try_from)
            .transpose()
    }

    fn lock_ip_address(&mut self, id: IpAddressId, lock: Lock) -> StoreResult<Option<IpAddress>> {
        let query = ip_addresses::table
            .filter(ip_addresses::id.eq(id.0).and(live()))
            .select(AddressRow::as_select());
        match lock {
            Lock::Share => query.for_share().first(self.conn),
            Lock::Update => query.for_no_key_update().first(self.conn),
        }
        .optional()
        .map_err(store_error)?
        .map(IpAddress::try_from)
        .transpose()
    }

    fn list_ip_addresses(
        &mut self,
        organization: OrganizationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> StoreResult<Vec<IpAddress>> {
        ip_addresses::table
            .filter(ip_addresses::organization_id.eq(organization.0).and(live()))
            .filter(ip_addresses::id.gt(after.map_or(0, |c| c.after)))
            .order(ip_addresses::id.asc())
            .limit(limit as i64)
            .select(AddressRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(addresses)
    }

    fn ip_addresses_of(&mut self, organization: OrganizationId) -> StoreResult<Vec<IpAddress>> {
        ip_addresses::table
            .filter(ip_addresses::organization_id.eq(organization.0).and(live()))
            .order(ip_addresses::id.asc())
            .select(AddressRow::as_select())
            .load(self.conn)
            .map_err(store_error)
            .and_then(addresses)
    }

    fn update_ip_address(&mut self, address: &IpAddress) -> StoreResult<()> {
        diesel::update(ip_addresses::table.filter(ip_addresses::id.eq(address.id.0).and(live())))
            .set((
                ip_addresses::ipv4.eq(address.ipv4.to_string()),
                ip_addresses::ipv6.eq(address.ipv6.map(|v| v.to_string())),
                ip_addresses::hostname.eq(address.hostname.as_str()),
                ip_addresses::priority.eq(i16::from(address.priority.get())),
                ip_addresses::updated_at.eq(address.updated_at),
            ))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }

    fn delete_ip_address(&mut self, id: IpAddressId, now: DateTime<Utc>) -> StoreResult<()> {
        diesel::delete(ip_pool_addresses::table.filter(ip_pool_addresses::ip_address_id.eq(id.0)))
            .execute(self.conn)
            .map_err(store_error)?;
        diesel::update(ip_addresses::table.filter(ip_addresses::id.eq(id.0).and(live())))
            .set(ip_addresses::deleted_at.eq(now))
            .execute(self.conn)
            .map(|_| ())
            .map_err(store_error)
    }
}
