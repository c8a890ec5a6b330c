#!/usr/bin/env bash
# Set up a fresh Debian machine for koji-ts: system packages, then the npm dependencies.
# Node.js 20+ and npm must already be there. Runs apt-get through sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# rpm (rpmbuild, rpmsign) and gnupg build and sign the test RPMs; openssl inspects certificates;
# createrepo-c (createrepo_c, mergerepo_c) makes repos on the builder; dnf installs from them in tests
# and populates buildroots (its python3-dnf resolves multilib dist repos); alien converts this machine's .debs into the base repo's RPMs
# (`kojits base-repo`); bubblewrap isolates builds, run through util-linux's setpriv as an
# unprivileged user; chromium runs the web's browser tests (driven by playwright-core);
# krb5-kdc, krb5-admin-server (kadmin.local, kdb5_util) and krb5-user (kinit) run the Kerberos tests'
# throwaway KDC; libkrb5-dev is what the `kerberos` npm addon builds against (with g++ and make)
PACKAGES=(rpm rpm2cpio gnupg openssl ca-certificates createrepo-c dnf alien bubblewrap util-linux chromium
  krb5-kdc krb5-admin-server krb5-user libkrb5-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

npm ci --no-audit --no-fund
