#!/usr/bin/env bash
# What `make test` needs from the system besides .venv: Debian's Chromium (the browser
# walkthrough) and a CJK font (Chinese text in the PDF report). When one is missing and this runs
# as root with apt-get, it installs them, quietly and once; otherwise it stops before any test
# runs and prints the command to run.
set -euo pipefail

PACKAGES=(chromium fonts-noto-cjk)
CHROMIUM="${OBSERVATORY_CHROMIUM:-/usr/bin/chromium}"

have_chromium() { [ -x "$CHROMIUM" ]; }
have_cjk_font() {
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 && return 0
  command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=zh family 2>/dev/null)" ]
}

if have_chromium && have_cjk_font; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: installing ${PACKAGES[*]} for the browser and PDF tests (once)" >&2
  export DEBIAN_FRONTEND=noninteractive
  log="$(mktemp)"
  if apt-get update -qq >"$log" 2>&1 && apt-get install -y -qq "${PACKAGES[@]}" >>"$log" 2>&1 \
     && have_chromium && have_cjk_font; then
    rm -f "$log"
    exit 0
  fi
  cat "$log" >&2
  echo "make test: installing ${PACKAGES[*]} failed (apt-get output above)" >&2
  exit 2
fi
echo "make test needs Chromium and a CJK font for the browser and PDF tests. Install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y ${PACKAGES[*]}" >&2
exit 2
