#!/usr/bin/env bash
# A pristine Debian 12 root for CI, made with mmdebstrap (only apt, git, ca-certificates and sudo added),
# so that nothing installed by hand on this machine can hide a missing install step.
#   source .ci/fresh_root.sh
#   root_create DIR                 make the root (apt's .deb downloads are cached between runs)
#   root_mount DIR                  /proc, /sys, /dev, tmpfs /tmp and /dev/shm, the ccache and apt caches
#   root_run DIR COMMAND...         run COMMAND as root inside, in /src/uninlu, with a clean environment
#   root_destroy DIR                kill what still runs inside, unmount everything, delete the root
# The caches live in $UNINLU_CI_CACHE (default /var/cache/uninlu-ci): they only save downloads and
# compiles; every package is still installed by the project's own scripts.

UNINLU_CI_CACHE=${UNINLU_CI_CACHE:-/var/cache/uninlu-ci}

root_create() {
  local root=$1
  mkdir -p "$UNINLU_CI_CACHE/apt-archives" "$UNINLU_CI_CACHE/ccache"
  mmdebstrap --variant=apt --include=git,ca-certificates,sudo bookworm "$root" >"$root.mmdebstrap.log" 2>&1 ||
    { tail -n 30 "$root.mmdebstrap.log" >&2; return 1; }
  # Packages downloaded by earlier runs (hard links: apt never rewrites a .deb, it only adds new ones).
  find "$UNINLU_CI_CACHE/apt-archives" -maxdepth 1 -name '*.deb' -exec cp -l -t "$root/var/cache/apt/archives/" {} + 2>/dev/null ||
    find "$UNINLU_CI_CACHE/apt-archives" -maxdepth 1 -name "*.deb" -exec cp -t "$root/var/cache/apt/archives/" {} + || true
  # This machine's network trust, as a new machine on the same network would be set up: the extra CA
  # certificates its administrator added (an egress proxy's, for the npm registry). resolv.conf comes
  # from mmdebstrap the same way.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null
  fi
  # Keep the .deb files apt downloads in the root (Debian's default, but be explicit).
  echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$root/etc/apt/apt.conf.d/10keep-debs"
}

root_mount() {
  local root=$1
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
  mount -t tmpfs -o size=8g tmpfs "$root/tmp"
  mkdir -p "$root/var/cache/ccache"
  mount --bind "$UNINLU_CI_CACHE/ccache" "$root/var/cache/ccache"
}

root_run() {
  local root=$1
  shift
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI=true \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CCACHE_DIR=/var/cache/ccache CCACHE_COMPILERCHECK=content CCACHE_BASEDIR=/src/uninlu \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    /bin/bash -c 'cd /src/uninlu && "$@"' root-run "$@"
}

# Processes whose root directory is inside the root (a server a failed test left behind).
root_processes() {
  local root=$1 p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]] && echo "${p#/proc/}"
  done
  return 0
}

root_destroy() {
  local root=$1 pids
  [[ -d $root ]] || return 0
  pids=$(root_processes "$root")
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086  # a list of pids
    kill -TERM $pids 2>/dev/null || true
    sleep 2
    pids=$(root_processes "$root")
    # shellcheck disable=SC2086
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  fi
  # Save the downloaded packages for the next run, then unmount in reverse order.
  find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -l -n -t "$UNINLU_CI_CACHE/apt-archives/" {} + 2>/dev/null || true
  local m
  for m in var/cache/ccache tmp dev sys proc; do
    if mountpoint -q "$root/$m"; then
      umount -R "$root/$m" 2>/dev/null || umount -R -l "$root/$m" || true
    fi
  done
  if grep -q " $root/" /proc/mounts; then
    echo "fresh_root: still mounted under $root, not deleting it:" >&2
    grep " $root/" /proc/mounts >&2
    return 1
  fi
  rm -rf "$root" "$root.mmdebstrap.log"
}
