#!/usr/bin/env bash
# Vendor Swagger UI into the package (api/web/static/swagger/) so /docs works offline and
# under the app's CSP (script-src 'self'): a pinned swagger-ui-dist from the npm registry,
# checked against its published integrity, and only the files /docs serves.
# The files are committed, so a fresh clone needs no network; run this only to change version:
#   SWAGGER_UI_VERSION=x.y.z SWAGGER_UI_INTEGRITY=sha512-... scripts/swagger-ui.sh
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${SWAGGER_UI_VERSION:-5.32.0}"
INTEGRITY="${SWAGGER_UI_INTEGRITY:-sha512-nKZB0OuDvacB0s/lC2gbge+RigYvGRGpLLMWMFxaTUwfM+CfndVk9Th2IaTinqXiz6Mn26GK2zriCpv6/+5m3Q==}"
DEST=api/web/static/swagger
FILES=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css favicon-32x32.png LICENSE NOTICE)

command -v npm >/dev/null || { echo "swagger-ui: npm is needed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@${VERSION}" >/dev/null)
tgz="$(ls "$work"/swagger-ui-dist-*.tgz)"
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "swagger-ui: swagger-ui-dist@${VERSION} has integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" "${FILES[@]/#/package/}"
mkdir -p "$DEST"
for f in "${FILES[@]}"; do cp "$work/package/$f" "$DEST/$f"; done
echo "$VERSION" > "$DEST/VERSION"
echo "swagger-ui: swagger-ui-dist ${VERSION} in $DEST"
