//! Hand-written SQL that is still prepared once per connection.
//!
//! Diesel caches a connection's prepared statements by the type of the query, but never
//! those of `sql_query` or of `sql` fragments: they are parsed and planned again on every
//! execution. A [`Prepared`] statement is fixed text with `int8`, `int8[]` and `date`
//! parameters, cached like any typed query: for the reads that take several sets in one
//! round trip.

use chrono::NaiveDate;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Date};
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// A statement of fixed text.
pub(crate) trait Statement: 'static {
    /// Its parameters, by name and kind, which the text reads as the columns of a one-row
    /// relation `arg` (`(SELECT org FROM arg)`). Every execution must give values of
    /// these kinds: the prepared statement keeps its types.
    const PARAMETERS: &'static [(&'static str, Kind)];
    /// The text, after `WITH arg AS (...)`: it starts with `, name AS (...)` or `SELECT`.
    const SQL: &'static str;
    /// The SQL types of its rows.
    type Row: 'static;
}

/// The SQL type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `int8`.
    Int,
    /// `int8[]`.
    Ints,
    /// `date`.
    Date,
}

/// A parameter's value.
pub(crate) enum Value {
    /// An `int8`.
    Int(i64),
    /// An `int8[]`.
    Ints(Vec<i64>),
    /// A `date`.
    Date(NaiveDate),
}

impl Value {
    fn kind(&self) -> Kind {
        match self {
            Self::Int(_) => Kind::Int,
            Self::Ints(_) => Kind::Ints,
            Self::Date(_) => Kind::Date,
        }
    }
}

/// A [`Statement`] with its parameters' values.
pub(crate) struct Prepared<S> {
    values: Vec<Value>,
    statement: PhantomData<S>,
}

impl<S: Statement> Prepared<S> {
    /// The statement with one value per parameter, in order.
    pub(crate) fn new(values: Vec<Value>) -> Self {
        Self {
            values,
            statement: PhantomData,
        }
    }
}

impl<S: Statement> QueryId for Prepared<S> {
    type QueryId = S;
    // The text depends on the type alone: one prepared statement per connection.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: Statement> Query for Prepared<S> {
    type SqlType = S::Row;
}

impl<S: Statement> QueryFragment<Pg> for Prepared<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The text and its types must not vary under one query id: values that do not
        // match the parameters are refused, never cut or cast.
        let kinds: Vec<Kind> = self.values.iter().map(Value::kind).collect();
        let expected: Vec<Kind> = S::PARAMETERS.iter().map(|(_, kind)| *kind).collect();
        if kinds != expected {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("values of kinds {kinds:?} for parameters of kinds {expected:?}").into(),
            ));
        }
        out.push_sql("WITH arg AS (SELECT ");
        for (i, ((name, _), value)) in S::PARAMETERS.iter().zip(&self.values).enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            match value {
                Value::Int(n) => {
                    out.push_bind_param::<BigInt, _>(n)?;
                    out.push_sql("::int8 AS ");
                }
                Value::Ints(ns) => {
                    out.push_bind_param::<Array<BigInt>, _>(ns)?;
                    out.push_sql("::int8[] AS ");
                }
                Value::Date(day) => {
                    out.push_bind_param::<Date, _>(day)?;
                    out.push_sql("::date AS ");
                }
            }
            out.push_sql(name);
        }
        out.push_sql(") ");
        out.push_sql(S::SQL);
        Ok(())
    }
}

impl<S: Statement, C> RunQueryDsl<C> for Prepared<S> {}

#[cfg(test)]
mod tests {
    use crate::{PgRepositories, PgStore, PoolSettings};
    use diesel::RunQueryDsl;
    use orgplane_domain::organization::*;
    use orgplane_ports::store::*;
    use orgplane_test_postgres::TestDatabase;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[test]
    fn the_one_statement_reads_are_prepared_once_per_connection() {
        // Given one connection of a store.
        let db = TestDatabase::new();
        let store = PgStore::new(&PoolSettings::for_tests(&db.url, 1));
        let mut conn = store.pool.get().expect("a connection");
        let r = &mut PgRepositories { conn: &mut conn.pg };
        let month = orgplane_domain::usage::Month::of(chrono::Utc::now());
        // With a parent and a child that sent, so that the children's page decodes rows.
        let insert = |r: &mut PgRepositories<'_>, name: &str, parent: Option<&Organization>| {
            let name = OrganizationName::parse(name).expect("a name");
            r.insert_organization(InsertOrganization {
                uuid: uuid::Uuid::new_v4(),
                permalink: Permalink::derive_from(&name).expect("a permalink"),
                name,
                profile: Profile::default(),
                parent: parent.map(|p| p.id),
                parent_uuid: parent.map(|p| p.uuid),
                parent_path: parent.map(|p| p.path.clone()).unwrap_or_default(),
                limit: None,
                customizations: Customizations::empty(),
                suspension: None,
                now: chrono::Utc::now(),
            })
            .expect("an organization")
        };
        let parent = insert(r, "Acme", None);
        let child = insert(r, "Acme Child", Some(&parent));
        r.add_usage(&[UsageIncrement {
            organization: child.id,
            month,
            sent: 3,
            limit: None,
        }])
        .expect("usage");
        let searched = vec!["child".to_owned()];

        // When each one-statement read runs three times on it.
        for _ in 0..3 {
            r.statistics_inputs(OrganizationId(1), 0)
                .expect("statistics");
            r.allocation_inputs(OrganizationId(1)).expect("allocation");
            r.member_counts(&[OrganizationId(1)]).expect("counts");
            let pools = [orgplane_domain::ip_pool::IpPoolId(1)];
            r.pool_members(&pools).expect("pool members");
            let page = r.children_page(parent.id, &[], 0, 10, month);
            let page = page.expect("children").expect("a parent");
            assert_eq!((page.children.len(), page.usage.len()), (1, 1));
        }

        // Then the connection holds one named prepared statement for each (`sql_query`
        // would have used the unnamed statement, parsed and planned every time).
        let prepared: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'WITH arg AS%'",
        )
        .get_result(r.conn)
        .expect("prepared statements");
        assert_eq!(prepared.n, 5);

        // And a list is prepared, but a search never is (it is planned for its terms).
        let search = OrganizationFilter {
            parent: Some(parent.id),
            terms: vec!["acme".to_owned()],
            ..OrganizationFilter::default()
        };
        let children = OrganizationFilter {
            terms: vec![],
            ..search.clone()
        };
        for _ in 0..3 {
            let page = r.children_page(parent.id, &searched, 0, 10, month);
            assert_eq!(page.expect("a search").expect("a parent").total, 1);
            r.list_organizations(&search, None, 10).expect("search");
            r.list_organizations(&children, None, 10).expect("children");
        }
        let mut named = |pattern: &str| -> i64 {
            diesel::sql_query(
                "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1",
            )
            .bind::<diesel::sql_types::Text, _>(pattern)
            .get_result::<Count>(&mut *r.conn)
            .expect("prepared statements")
            .n
        };
        assert_eq!(named("%search_text%"), 0, "a search is planned every time");
        // (Only the children's typed page compares the quoted column to a parameter.)
        assert!(
            named("%\"organizations\".\"parent_id\" = $%") >= 1,
            "the children's page is prepared"
        );

        // And values that do not match a statement's parameters are refused.
        use super::{Prepared, Value};
        let wrong = Prepared::<crate::overview::Members>::new(vec![Value::Int(1)])
            .load::<(i64, i64, i64)>(r.conn);
        assert!(wrong.is_err());
        let missing =
            Prepared::<crate::overview::Members>::new(vec![]).load::<(i64, i64, i64)>(r.conn);
        assert!(missing.is_err());
    }
}

/// The bench's floors (`scripts/bench/d_*.sql`) run their routes' one statements: a floor
/// that drifted from its route would measure something else.
#[cfg(test)]
mod floors {
    use super::Statement;

    /// `text` with every run of whitespace made one space, and without a final `;`.
    fn squeezed(text: &str) -> String {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end_matches(';')
            .to_owned()
    }

    fn runs<S: Statement>(floor: &str) {
        let statement = squeezed(S::SQL);
        assert!(
            squeezed(floor).contains(&statement),
            "the floor does not run the route's statement:\n{statement}"
        );
    }

    #[test]
    fn each_floor_runs_its_routes_statement() {
        runs::<crate::ip_allocation::Allocation>(include_str!(
            "../../../scripts/bench/d_ip_allocation.sql"
        ));
        runs::<crate::statistics::Inputs>(include_str!("../../../scripts/bench/d_statistics.sql"));
        runs::<crate::overview::Members>(include_str!("../../../scripts/bench/d_seed002_list.sql"));
        runs::<crate::sub_organization::Children>(include_str!(
            "../../../scripts/bench/d_postgrid_list.sql"
        ));
    }
}
