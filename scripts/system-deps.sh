#!/usr/bin/env bash
# Install the system packages the embedded default needs (Tesseract with English data, libmagic,
# LibreOffice without a GUI and Debian's python3-uno for the warm converter), where missing.
# As root this uses apt-get; otherwise it says what to install and fails. Without recommended
# packages: LibreOffice's would pull in apparmor and a font installer that downloads at install.
set -euo pipefail

missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
if command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  missing+=(tesseract-ocr-eng)
fi
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr-eng)
# Orientation and script detection (a page scanned sideways or upside down) needs osd data.
if command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx osd; then
  missing+=(tesseract-ocr-osd)
fi
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr-osd)
ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' || missing+=(libmagic1)
# Legacy office formats (workers/convert): LibreOffice kept warm by unoserver, which runs under
# Debian's python3 for its `uno` module; fonts so that renditions lay out text as written
# (Droid Sans Fallback for Chinese and Japanese, which DejaVu and Liberation lack).
for package in libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui \
  libreoffice-draw-nogui python3-uno fonts-liberation2 fonts-dejavu-core fonts-droid-fallback; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done

# Writer's UI files, which the -nogui package leaves out (see the script).
writer_ui="$(dirname "$0")/libreoffice-writer-ui.sh"
if [ ${#missing[@]} -eq 0 ]; then
  exec "$writer_ui"
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "escr needs these system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
"$writer_ui"
