#!/usr/bin/env bash
# The README's test command on a fresh machine: a throwaway copy of this Debian machine (an overlay in its own mount
# namespace, gone when the run ends) from which the tools the tests use are removed, then a fresh clone, npm ci and
# npm test, which must install them again itself. Needs root. Usage: scripts/fresh-machine.sh [COMMIT] [TEST FILE...]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse "${1:-HEAD}")
shift || true
scratch=$(mktemp -d /tmp/chat-fresh-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch"/{upper,work,root}

inside=$(cat <<INSIDE
set -euo pipefail
cd /
git clone -q "$repo" /tmp/fresh && cd /tmp/fresh && git -c advice.detachedHead=false checkout -q $commit
npm ci --no-audit --no-fund --loglevel=error
# A fresh machine's packages are in step with the archive; this one's libcurl4 may be older than the archive's curl needs.
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --only-upgrade libcurl4 >/dev/null
# What a fresh machine lacks. openssl goes by dpkg alone: here ca-certificates, and Node with it, depend on it.
DEBIAN_FRONTEND=noninteractive apt-get remove -y -q netcat-openbsd socat ncat tmux curl redis-server chromium-headless-shell >/dev/null
dpkg -r --force-depends openssl >/dev/null 2>&1
echo "--- removed; missing now: \$(for c in nc socat ncat tmux openssl curl redis-server; do command -v \$c >/dev/null || printf '%s ' \$c; done)\$(test -e /usr/lib/chromium/chromium-headless-shell || echo chromium-headless-shell)"
echo "--- as a user who is not root and has no sudo:"
chmod -R a+rX /tmp/fresh
setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp PATH="\$PATH" npm test --silent ${*:-} || echo "(exit \$?)"
echo "--- as root:"
npm test ${*:-}
INSIDE
)

unshare --mount --fork bash -s <<OUTER
set -euo pipefail
mount --make-rprivate /
mount -t overlay overlay -o lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work $scratch/root
for dir in proc sys dev; do mount --rbind /\$dir $scratch/root/\$dir; done
mount -t tmpfs tmpfs $scratch/root/tmp
cp /etc/resolv.conf $scratch/root/etc/resolv.conf 2>/dev/null || true
chroot $scratch/root bash -c $(printf '%q' "$inside")
OUTER
