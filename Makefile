# kefu — the two commands a new user needs:
#   make demo   builds the web UI and kefu, creates the demo shop (SQLite file in data/) and serves it
#   make test   every check CI runs: format, lints, unit + integration tests on SQLite and
#               PostgreSQL, web type check, and the end-to-end browser test
.PHONY: demo test web lint unit e2e bench

demo: web
	cargo run --release -p kefu-cli -- demo

web:
	@[ -d web/node_modules ] || npm --prefix web ci --no-audit --no-fund
	npm --prefix web run build

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/check-deps.sh

unit:
	cargo test --workspace

e2e:
	scripts/e2e.sh

test: web lint unit e2e

bench:
	cargo run --release -p kefu-cli -- bench ingest --backend sqlite
	cargo run --release -p kefu-cli -- bench ingest --backend postgres
