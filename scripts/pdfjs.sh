#!/usr/bin/env bash
# Vendor pdf.js into the package (api/web/static/pdfjs/) so the document viewer works offline
# and under the app's CSP (script-src 'self', no eval, no WebAssembly): a pinned pdfjs-dist from
# the npm registry, checked against its published integrity, and only the files the viewer loads.
# The modern build (not legacy/): escr's browsers are current Chromium, Firefox and Edge.
# The files are committed, so a fresh clone needs no network; run this only to change version:
#   PDFJS_VERSION=x.y.z PDFJS_INTEGRITY=sha512-... scripts/pdfjs.sh
# (the integrity is `npm view pdfjs-dist@x.y.z dist.integrity`). Decision 0028 says why.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${PDFJS_VERSION:-6.5.438}"
INTEGRITY="${PDFJS_INTEGRITY:-sha512-vg8Pw1x+AFKy4AMDvhuWl5cOYV8d698UoEANoFFhc79hqXDnZQqnOXoxw3HG907WHOg1JYOvLhP756boddFxpA==}"
DEST=api/web/static/pdfjs
# The library, its worker (a same-origin module worker: no blob: URL), the viewer component and
# its stylesheet; images the stylesheet names; fonts for PDFs that use the 14 standard fonts
# without embedding them; CMaps for CJK text; the JavaScript decoders for JBIG2, CCITT fax
# and JPEG 2000 images, used because the viewer turns WebAssembly off (CSP without
# 'wasm-unsafe-eval'); and the licences.
FILES=(build/pdf.min.mjs build/pdf.worker.min.mjs web/pdf_viewer.mjs web/pdf_viewer.css LICENSE)
FALLBACKS=(jbig2_nowasm_fallback.js openjpeg_nowasm_fallback.js LICENSE_JBIG2 LICENSE_OPENJPEG
  LICENSE_PDFJS_JBIG2 LICENSE_PDFJS_OPENJPEG)

command -v npm >/dev/null || { echo "pdfjs: npm is needed" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "pdfjs-dist@${VERSION}" >/dev/null)
tgz="$(ls "$work"/pdfjs-dist-*.tgz)"
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "pdfjs: pdfjs-dist@${VERSION} has integrity $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work"
rm -rf "$DEST"
mkdir -p "$DEST/images" "$DEST/standard_fonts" "$DEST/cmaps" "$DEST/wasm"
for f in "${FILES[@]}"; do cp "$work/package/$f" "$DEST/$(basename "$f")"; done
cp "$work"/package/web/images/* "$DEST/images/"
cp "$work"/package/standard_fonts/* "$DEST/standard_fonts/"
cp "$work"/package/cmaps/* "$DEST/cmaps/"
for f in "${FALLBACKS[@]}"; do cp "$work/package/wasm/$f" "$DEST/wasm/$f"; done
# The minified files end with a source-map comment; the maps are not shipped, so a browser's
# developer tools would ask for a file that 404s.
sed -i '/^\/\/# sourceMappingURL=/d' "$DEST"/*.mjs
echo "$VERSION" > "$DEST/VERSION"
echo "pdfjs: pdfjs-dist ${VERSION} in $DEST ($(du -sh "$DEST" | cut -f1))"
