#!/usr/bin/env bash
# Debian's chromium (and CJK fonts, so pages and screenshots show Chinese) for the browser
# tests. Where it cannot be installed (not root, no apt-get, or no package registry) the e2e tests
# skip, unless MATCHMAKER_REQUIRE_BROWSER is set (.ci/run sets it): then this fails.
set -u
fail() {
  echo "chromium: $1" >&2
  if [ -n "${MATCHMAKER_REQUIRE_BROWSER:-}" ]; then exit 1; fi
  echo "browser tests will be skipped" >&2
  exit 0
}
if dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  fail "not installed and cannot install it here"
fi
echo "installing Debian's chromium and CJK fonts for the browser tests..."
if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null); then
  fail "installation failed"
fi
exit 0
