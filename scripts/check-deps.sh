#!/usr/bin/env bash
# The pure crates stay pure: no database, web framework or async runtime in kefu-domain,
# kefu-demo, kefu-text, kefu-encoder, kefu-knowledge or kefu-engine (see ARCHITECTURE.md). Fails if one of
# those crates pulls in a forbidden one.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for pure in kefu-domain kefu-demo kefu-text kefu-encoder kefu-knowledge kefu-engine; do
  deps=$(cargo tree -p "$pure" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u)
  for forbidden in sqlx axum tokio hyper reqwest; do
    if grep -qx "$forbidden" <<<"$deps"; then
      echo "check-deps: $pure depends on $forbidden, but it must stay free of I/O"
      status=1
    fi
  done
done
[ "$status" = 0 ] && echo "check-deps: kefu-domain, kefu-demo, kefu-text, kefu-encoder, kefu-knowledge and kefu-engine are free of I/O crates"
exit "$status"
