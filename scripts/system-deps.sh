#!/usr/bin/env bash
# Install the system packages the embedded default needs (Tesseract with English data, libmagic),
# where missing. As root this uses apt-get; otherwise it says what to install and fails.
set -euo pipefail

missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
if command -v tesseract >/dev/null 2>&1 && ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  missing+=(tesseract-ocr-eng)
fi
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr-eng)
ldconfig -p 2>/dev/null | grep -q 'libmagic\.so\.1' || missing+=(libmagic1)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "escr needs these system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
