#!/usr/bin/env bash
# Install the natural-sounding test voices (pico2wave, MBROLA) for MIA's tests. They are non-free
# (Debian contrib/non-free): `make test` installs them, `make run` never does.
#
#   audio_fixtures/install_voices.sh               install what is missing (root, or sudo without a password)
#   audio_fixtures/install_voices.sh --check       exit 0 when every voice is installed, 1 otherwise
#   audio_fixtures/install_voices.sh --print-source   print the apt source entry it would add
#
# Idempotent: nothing happens when the voices are there; the apt source file is written only when
# no apt source of this machine offers the contrib component yet, and never twice.
# Test hooks: MIA_OS_RELEASE (default /etc/os-release), MIA_APT_SOURCES_DIR (default /etc/apt/sources.list.d).
set -euo pipefail

PKGS="libttspico-utils mbrola mbrola-fr1 mbrola-fr2 mbrola-fr3 mbrola-fr4 mbrola-fr5 mbrola-fr6 mbrola-fr7 mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1"
OS_RELEASE="${MIA_OS_RELEASE:-/etc/os-release}"
SOURCES_DIR="${MIA_APT_SOURCES_DIR:-/etc/apt/sources.list.d}"
SOURCE_FILE="$SOURCES_DIR/mia-test-voices.sources"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

missing() {
  local out="" p
  for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out="$out $p"
  done
  echo "$out"
}

os_field() {  # os_field ID -> value from os-release, without quotes
  sed -n "s/^$1=//p" "$OS_RELEASE" 2>/dev/null | tr -d '"' | head -n1
}

debian_uri() {  # the mirror the machine already uses for Debian, else the default one
  local uri
  uri=$(grep -hs '^URIs:' "$SOURCES_DIR"/*.sources 2>/dev/null | grep -v security | awk '{print $2}' | grep -m1 debian || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

source_entry() {
  local suite
  suite=$(os_field VERSION_CODENAME)
  if [ -z "$suite" ]; then
    echo "cannot tell the Debian release (no VERSION_CODENAME in $OS_RELEASE)" >&2
    return 1
  fi
  cat <<EOF
# Added by MIA (audio_fixtures/install_voices.sh) for its tests only: natural-sounding test voices
# (libttspico-utils, mbrola-*) live in Debian's contrib and non-free components.
Types: deb
URIs: $(debian_uri)
Suites: $suite
Components: contrib non-free
Signed-By: $KEYRING
EOF
}

has_contrib() {  # does an apt source of this machine already offer contrib?
  grep -hsE '^(Components:.*\bcontrib\b|deb .*\bcontrib\b)' "$SOURCES_DIR"/*.sources "$SOURCES_DIR"/*.list \
    /etc/apt/sources.list 2>/dev/null | grep -q .
}

case "${1:-}" in
  --check)
    m=$(missing)
    if [ -n "$m" ]; then echo "natural test voices missing:$m"; exit 1; fi
    echo "natural test voices: installed"; exit 0 ;;
  --print-source)
    source_entry; exit 0 ;;
  "") ;;
  *) echo "usage: $0 [--check|--print-source]" >&2; exit 2 ;;
esac

m=$(missing)
if [ -z "$m" ]; then
  echo "natural test voices: installed"
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo"
else
  echo "The natural test voices are not installed (non-free, used by the tests only):$m"
  echo "Install them with:  sudo make test-voices"
  echo "(continuing: the tests that need them are skipped and say so)"
  exit 0
fi
id=$(os_field ID)
if [ "$id" = "debian" ] && ! has_contrib; then
  echo "Adding Debian's contrib/non-free components for the test voices: $SOURCE_FILE"
  source_entry | $SUDO tee "$SOURCE_FILE" >/dev/null
elif [ "$id" = "ubuntu" ] && ! grep -hsqE 'multiverse' "$SOURCES_DIR"/* /etc/apt/sources.list 2>/dev/null; then
  echo "The test voices are in Ubuntu's multiverse component: sudo add-apt-repository multiverse"
  exit 0
fi
echo "Installing the natural test voices:$m"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $m >/dev/null
echo "natural test voices: installed"
