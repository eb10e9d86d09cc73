# Orgplane: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
EMAIL ?= admin@example.com
PASSWORD ?= change-me-please

.PHONY: run test lint bootstrap db-start db-stop build bench fuzz cluster

## Serve on 127.0.0.1:8080, with a private PostgreSQL under .data/ unless DATABASE_URL is set.
run:
	@if [ -z "$$DATABASE_URL" ]; then export $$(scripts/postgres.sh start); fi; \
	$(CARGO) run --quiet -p orgplane-app --bin orgplane -- serve

## Create the platform organization and its first admin; prints a live API key.
bootstrap:
	@if [ -z "$$DATABASE_URL" ]; then export $$(scripts/postgres.sh start); fi; \
	$(CARGO) run --quiet -p orgplane-app --bin orgplane -- admin bootstrap --email '$(EMAIL)' --password '$(PASSWORD)'

## The whole test suite; the tests start their own throwaway PostgreSQL cluster.
test:
	@[ -n "$$TEST_DATABASE_URL" ] || scripts/postgres.sh check
	@scripts/check-layering.sh
	@scripts/test.sh

## Formatting and lints, warnings as errors.
lint:
	@scripts/check-layering.sh
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --locked -p orgplane-domain -p orgplane-ports

build:
	$(CARGO) build --workspace --locked

db-start:
	@scripts/postgres.sh start

db-stop:
	@scripts/postgres.sh stop

## Benchmarks against floors measured in the same run (BENCH_ARGS='--quick', '--only org_get', ...).
bench: ; @scripts/bench.sh $(BENCH_ARGS)

## A longer schemathesis run than make test's (EXAMPLES per operation, SEED to reproduce).
fuzz:
	ORGPLANE_FUZZ_EXAMPLES=$${EXAMPLES:-200} ORGPLANE_FUZZ_SEED=$${SEED:-$$(date +%s)} \
	$(CARGO) test -p orgplane-e2e --test e2e fuzz -- --nocapture

## Scale-out on loopback: a primary, its streaming replica, PgBouncer (session mode) and two
## serve processes; one process and the replica die mid-traffic (also part of make test).
cluster:
	$(CARGO) test -p orgplane-app --test cluster -- --nocapture
