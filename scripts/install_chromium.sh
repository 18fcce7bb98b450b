#!/usr/bin/env bash
# Debian's chromium (and CJK fonts, so pages and screenshots show Chinese) for the browser
# tests. Skips cleanly (the e2e tests then skip) where it cannot be installed: not root, no
# apt-get, or no package registry.
set -u
if dpkg -s chromium fonts-noto-cjk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not installed and cannot install it here; browser tests will be skipped" >&2
  exit 0
fi
echo "installing Debian's chromium and CJK fonts for the browser tests..."
if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null); then
  echo "chromium: installation failed; browser tests will be skipped" >&2
fi
exit 0
