#!/usr/bin/env bash
# What the browser tests need beyond the Python packages (pip installs playwright from the
# dev extra): Debian's Chromium, never a browser download, and axe-core from the npm registry.
# Idempotent; run by tests/e2e/browser/conftest.py when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION="${AXE_VERSION:-4.10.3}"
VENDOR=tests/e2e/browser/vendor

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -q chromium >/dev/null 2>&1 || {
      apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null
    }
  else
    echo "browser-deps: /usr/bin/chromium is missing; run as root: apt-get install chromium" >&2
    exit 1
  fi
fi

if [ ! -s "$VENDOR/axe.min.js" ]; then
  command -v npm >/dev/null || { echo "browser-deps: npm is needed for axe-core" >&2; exit 1; }
  mkdir -p "$VENDOR"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null)
  tar -xzf "$work"/axe-core-*.tgz -C "$work" package/axe.min.js package/LICENSE
  cp "$work/package/axe.min.js" "$VENDOR/axe.min.js"
  cp "$work/package/LICENSE" "$VENDOR/axe-core-LICENSE"
fi
echo "browser-deps: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), axe-core ${AXE_VERSION}"
