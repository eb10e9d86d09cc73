//! Hand-written SQL that is still prepared once per connection.
//!
//! Diesel caches a connection's prepared statements by the type of the query, but never
//! those of `sql_query` or of `sql` fragments: they are parsed and planned again on every
//! execution. A [`Prepared`] statement is fixed text with `int8` and `int8[]` parameters,
//! cached like any typed query: for the reads that take several sets in one round trip.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt};
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// A statement of fixed text.
pub(crate) trait Statement: 'static {
    /// The names of its parameters, which the text reads as the columns of a one-row
    /// relation `arg` (`(SELECT org FROM arg)`). Each is given the same kind of
    /// [`Value`] on every execution (the prepared statement keeps its types).
    const PARAMETERS: &'static [&'static str];
    /// The text, after `WITH arg AS (...)`: it starts with `, name AS (...)` or `SELECT`.
    const SQL: &'static str;
    /// The SQL types of its rows.
    type Row: 'static;
}

/// A parameter's value.
pub(crate) enum Value {
    /// An `int8`.
    Int(i64),
    /// An `int8[]`.
    Ints(Vec<i64>),
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
        // The text must not vary under one query id: a wrong count is refused, never cut.
        if self.values.len() != S::PARAMETERS.len() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!(
                    "{} values for {} parameters",
                    self.values.len(),
                    S::PARAMETERS.len()
                )
                .into(),
            ));
        }
        out.push_sql("WITH arg AS (SELECT ");
        for (i, (name, value)) in S::PARAMETERS.iter().zip(&self.values).enumerate() {
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
    use orgplane_domain::organization::OrganizationId;
    use orgplane_ports::store::*;
    use orgplane_test_postgres::TestDatabase;
    use std::time::Duration;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[test]
    fn the_one_statement_reads_are_prepared_once_per_connection() {
        // Given one connection of a store.
        let db = TestDatabase::new();
        let store = PgStore::new(&PoolSettings {
            url: db.url.clone(),
            max_size: 1,
            min_idle: 0,
            connect_timeout: Duration::from_secs(5),
            checkout_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(30),
            replica_url: None,
        });
        let mut conn = store.pool.get().expect("a connection");
        let r = &mut PgRepositories { conn: &mut conn.pg };

        // When each one-statement read runs three times on it.
        for _ in 0..3 {
            r.statistics_inputs(OrganizationId(1), 0)
                .expect("statistics");
            r.allocation_inputs(OrganizationId(1)).expect("allocation");
            r.member_counts(&[OrganizationId(1)]).expect("counts");
        }

        // Then the connection holds one named prepared statement for each (`sql_query`
        // would have used the unnamed statement, parsed and planned every time).
        let prepared: Count = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'WITH arg AS%'",
        )
        .get_result(r.conn)
        .expect("prepared statements");
        assert_eq!(prepared.n, 3);
    }
}
