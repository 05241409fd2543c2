#!/usr/bin/env bash
# Install the Debian packages given as arguments, but only those that are missing.
# Runs `apt-get update` once, and only when something has to be installed.
# Quiet when every package is already present.
#
# Usage: scripts/ensure-packages.sh PKG...
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PKG..." >&2
    exit 2
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing+=("$pkg") ;;
    esac
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-packages: missing packages (${missing[*]}) and apt-get is not available" >&2
    exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "ensure-packages: missing packages (${missing[*]}); run as root to install them" >&2
        exit 1
    fi
fi

echo "ensure-packages: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 \
    apt-get install -y -qq -o Dpkg::Use-Pty=0 "${missing[@]}" >&2
