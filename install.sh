#!/bin/sh
# Installs chat: picks this machine's build from a GitHub release, checks it against the release's SHA256SUMS,
# and puts the one file into ~/.local/bin.
#
#   curl -fsSL https://github.com/OWNER/chat/releases/latest/download/install.sh | sh
#
# The copy attached to a release names its repository (the release workflow writes it into `repo=` below).
# Settings, all optional:
#   CHAT_REPO=OWNER/NAME      the GitHub repository to download from
#   CHAT_VERSION=0.1.0        that release instead of the latest
#   CHAT_INSTALL_DIR=DIR      install into DIR instead of ~/.local/bin
#   CHAT_DOWNLOAD_URL=URL     where the archives and SHA256SUMS are (a mirror, a test server); wins over CHAT_VERSION
set -eu

repo="${CHAT_REPO:-}"

say() { printf 'chat install: %s\n' "$*"; }
fail() {
  printf 'chat install: error: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

is_musl() {
  # ldd names its C library; musl's ldd says "musl" (on stderr, exiting 1).
  if have ldd; then
    case "$(ldd --version 2>&1 || true)" in *musl*) return 0 ;; *) return 1 ;; esac
  fi
  # No ldd: musl if its loader is there and glibc's is not (some glibc systems have musl installed beside it).
  for loader in /lib/ld-linux-*.so.* /lib64/ld-linux-*.so.*; do [ -e "$loader" ] && return 1; done
  for loader in /lib/ld-musl-*.so.1; do [ -e "$loader" ] && return 0; done
  return 1
}

# Sets platform to OS-ARCH as the release archives name it: linux-x64, linux-x64-musl, darwin-arm64, ...
detect_platform() {
  os=$(uname -s 2>/dev/null || echo unknown)
  arch=$(uname -m 2>/dev/null || echo unknown)
  case "$os" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    MINGW* | MSYS* | CYGWIN*) fail "on Windows, download chat-VERSION-windows-x64.zip from $by_hand and unzip it: chat.exe is the whole program" ;;
    *) fail "there is no chat build for $os (there are builds for Linux, macOS and Windows; $by_hand)" ;;
  esac
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "there is no chat build for the $arch processor (there are builds for x86-64 and arm64)" ;;
  esac
  # An x86-64 shell under Rosetta 2 on an Apple silicon Mac: the native build is the one to run.
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
    arch=arm64
  fi
  platform="$os-$arch"
  if [ "$os" = linux ] && is_musl; then platform="$platform-musl"; fi
}

download() { # URL FILE
  if have curl; then
    curl -fsSL --retry 2 -o "$2" "$1"
  else
    wget -q -O "$2" "$1"
  fi
}

sha256_of() {
  case "$hasher" in
    sha256sum) sha256sum "$1" | cut -d ' ' -f 1 ;;
    shasum) shasum -a 256 "$1" | cut -d ' ' -f 1 ;;
    openssl) openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1 ;;
  esac
}

# Prints "HASH NAME" for the archive made for $platform, from a SHA256SUMS file.
find_archive() {
  awk -v suffix="-$platform.tar.gz" '{
    name = $2; sub(/^\*/, "", name)
    if (index(name, "chat-") == 1 && length(name) > length(suffix) && substr(name, length(name) - length(suffix) + 1) == suffix) { print $1, name; exit }
  }' "$1"
}

# The platforms a SHA256SUMS file has builds for, for the error message when this one has none.
list_platforms() {
  awk '{ if (match($2, /-(linux|darwin|windows)-[^.]*/)) printf "%s%s", (n++ ? ", " : ""), substr($2, RSTART + 1, RLENGTH - 1) }' "$1"
}

main() {
  [ -n "$repo" ] || [ -n "${CHAT_DOWNLOAD_URL:-}" ] ||
    fail "this copy of install.sh does not name a repository: use the one attached to a release, or set CHAT_REPO=OWNER/NAME or CHAT_DOWNLOAD_URL"
  releases="https://github.com/$repo/releases"
  # Where errors send a person for an archive by hand: without a repository there is no releases page, only the mirror.
  if [ -n "$repo" ]; then by_hand=$releases; else by_hand="${CHAT_DOWNLOAD_URL%/}"; fi
  detect_platform
  dir="${CHAT_INSTALL_DIR:-${HOME:?HOME is not set: set CHAT_INSTALL_DIR}/.local/bin}"
  if [ -n "${CHAT_DOWNLOAD_URL:-}" ]; then
    base="${CHAT_DOWNLOAD_URL%/}"
  elif [ -n "${CHAT_VERSION:-}" ]; then
    base="$releases/download/v${CHAT_VERSION#v}"
  else
    base="$releases/latest/download"
  fi

  # Everything needed is checked before 50 MB are downloaded.
  have curl || have wget || fail "neither curl nor wget is installed; install one, or download the archive for $platform from $by_hand by hand"
  have tar || fail "tar is not installed; it is needed to unpack the archive"
  if have sha256sum; then hasher=sha256sum; elif have shasum; then hasher=shasum; elif have openssl; then hasher=openssl; else
    fail "none of sha256sum, shasum or openssl is installed, so the download cannot be checked; nothing was installed"
  fi
  mkdir -p "$dir" 2>/dev/null || fail "cannot create $dir; set CHAT_INSTALL_DIR to install somewhere else"

  tmp=$(mktemp -d 2>/dev/null || mktemp -d -t chat-install)
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 1' INT TERM

  download "$base/SHA256SUMS" "$tmp/SHA256SUMS" || fail "could not download $base/SHA256SUMS"
  found=$(find_archive "$tmp/SHA256SUMS")
  [ -n "$found" ] || fail "there is no chat build for $platform in $base/SHA256SUMS (it has: $(list_platforms "$tmp/SHA256SUMS"))"
  expected=${found%% *}
  name=${found#* }
  case "$expected" in *[!0-9a-f]*) fail "$base/SHA256SUMS is malformed: \"$expected\" is not a SHA-256 sum" ;; esac
  [ ${#expected} -eq 64 ] || fail "$base/SHA256SUMS is malformed: \"$expected\" is not a SHA-256 sum"
  stem=${name%.tar.gz}
  version=${stem#chat-}
  version=${version%"-$platform"}

  say "downloading $base/$name"
  download "$base/$name" "$tmp/$name" || fail "could not download $base/$name"
  actual=$(sha256_of "$tmp/$name")
  [ "$actual" = "$expected" ] || fail "checksum mismatch for $name: SHA256SUMS says $expected but the download's is $actual. The file is damaged or has been tampered with; nothing was installed."
  say "checksum OK: $expected"

  tar -xzf "$tmp/$name" -C "$tmp" || fail "could not unpack $name"
  [ -f "$tmp/$stem/chat" ] || fail "$name has no $stem/chat in it; nothing was installed"
  # Copied beside the old one, then renamed over it: a running chat keeps its file, and no half-written chat is ever there.
  if ! { cp "$tmp/$stem/chat" "$dir/.chat-install.$$" && chmod 755 "$dir/.chat-install.$$" && mv -f "$dir/.chat-install.$$" "$dir/chat"; } 2>/dev/null; then
    rm -f "$dir/.chat-install.$$"
    fail "cannot write $dir/chat; set CHAT_INSTALL_DIR to install somewhere else"
  fi

  if ! ran=$("$dir/chat" --version 2>&1); then
    case "$platform" in
      *-musl) hint=" It needs the C++ runtime: on Alpine, apk add libstdc++ libgcc" ;;
      *) hint="" ;;
    esac
    fail "installed $dir/chat, but it does not run here: $(printf '%s\n' "$ran" | head -n 1).$hint"
  fi
  say "installed chat $ran ($platform) as $dir/chat"
  [ "$ran" = "$version" ] || say "note: the archive was named for version $version, but the binary says $ran"
  case ":${PATH:-}:" in
    *":$dir:"*) say "run: chat --help" ;;
    *) say "$dir is not on your PATH; add it (in ~/.profile, for example): export PATH=\"$dir:\$PATH\"" ;;
  esac
}

# Only once the whole script has arrived: `curl | sh` cut short runs nothing.
main "$@"
