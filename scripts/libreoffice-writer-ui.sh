#!/usr/bin/env bash
# Put LibreOffice Writer's UI descriptions (share/config/soffice.cfg/modules/swriter/ui/*.ui)
# where Debian 12's libreoffice-writer-nogui leaves them out. LibreOffice running as a server
# (escr's warm converter) builds a comment's sidebar window from annotation.ui as soon as it
# loads a document with a comment, and aborts without it: every DOC, DOCX or ODT with a comment
# ended `corrupt`, with no text or rendition (python-docx's comments-rich-para.docx; a one-off
# `soffice --convert-to` never shows the comment, so never fails). The GUI package holds the
# files but cannot be installed beside -nogui, so they alone are taken from its .deb, of the
# installed version. Nothing to do where they are already there (or LibreOffice is not).
set -euo pipefail

ui=/usr/lib/libreoffice/share/config/soffice.cfg/modules/swriter/ui
[ -f "$ui/annotation.ui" ] && exit 0
version=$(dpkg-query -W -f='${Version}' libreoffice-writer-nogui 2>/dev/null) || exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "LibreOffice Writer's UI files are missing from $ui: run $0 as root" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"  # apt-get download runs as _apt where it can
download() { (cd "$work" && apt-get download -qq "libreoffice-writer=$version" 2>/dev/null); }
download || { apt-get update -qq && download; }
dpkg-deb -x "$work"/libreoffice-writer_*.deb "$work/deb"
mkdir -p "$ui"
cp "$work/deb$ui"/*.ui "$ui/"
echo "LibreOffice Writer's UI files installed in $ui" >&2
