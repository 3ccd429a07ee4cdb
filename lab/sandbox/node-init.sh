#!/bin/sh
# lab sandbox node init: turns a Docker-in-Docker image into a throw-away "node" like
# Play with Docker's. lab runs it as the node's entrypoint (under `--init`, so PID 1
# reaps a dockerd that a lesson restarts with `pkill dockerd; dockerd &`);
# scripts/test-env builds it into its docker:dind stand-in as the image's entrypoint.
# It prepares the node, starts dockerd in the background and then idles (or execs its
# arguments), so a lesson that kills dockerd does not end the node. POSIX sh: it runs
# under dash (Debian) and busybox ash (Alpine's docker:dind).
#
# Environment:
#   LAB_MIRRORS  space-separated registry mirrors for the inner dockerd; the word
#                {gateway} is replaced by the node's default gateway (the host, where
#                a mirror on the host's loopback is reached). Default: none.
#   LAB_START_DOCKERD  1 (default) starts dockerd; 0 leaves it to the lesson.
set -e

# 0. In a user namespace (an engine with userns-remap), root here is an ordinary user of the
#    host: /sys and the cgroup hierarchies stay read-only, and the inner dockerd runs in its
#    rootless mode, where runc leaves cgroups alone (limits inside the node are not applied;
#    the node's own limits are).
userns=0
awk 'NR == 1 && !($1 == 0 && $2 == 0) { found = 1 } END { exit !found }' /proc/self/uid_map &&
  userns=1

# 1. Without --privileged, Docker mounts /sys and the cgroup hierarchies read-only;
#    with CAP_SYS_ADMIN and seccomp/apparmor unconfined we may remount them
#    read-write for the inner dockerd. A no-op when they are rw already (--privileged).
if [ "$userns" = 0 ]; then
  if grep -q ' /sys ro[, ]' /proc/self/mountinfo; then mount -o remount,rw /sys; fi
  for m in $(awk '$5 ~ "^/sys/fs/cgroup(/|$)" && $6 ~ "^ro" {print $5}' /proc/self/mountinfo); do
    mount -o remount,bind,rw "$m"
  done
fi
# cgroup v2: move ourselves out of the root cgroup so that controllers can be
# delegated to the inner dockerd (what docker:dind's `dind` script does).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers \
    > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || :
fi

# 2. Registry mirrors go into /etc/docker/daemon.json (not on the command line), so a
#    lesson's bare `dockerd &` restart keeps them. A daemon.json the image brings wins.
#    In a user namespace, `"rootless": true` goes there too, for the same reason.
if [ ! -s /etc/docker/daemon.json ] && { [ -n "${LAB_MIRRORS:-}" ] || [ "$userns" = 1 ]; }; then
  gw=$(ip -4 route show default 2>/dev/null | awk '{print $3; exit}')
  list=''
  for m in ${LAB_MIRRORS:-}; do
    m=$(printf '%s' "$m" | sed "s/{gateway}/${gw:-127.0.0.1}/g")
    list="${list:+$list, }\"$m\""
  done
  rootless=''
  [ "$userns" = 1 ] && rootless=',\n  "rootless": true'
  mkdir -p /etc/docker
  printf '{\n  "registry-mirrors": [%s]'"$rootless"'\n}\n' "$list" > /etc/docker/daemon.json
fi

# 3. dockerd, in the background. Stale pid files survive a `docker restart` of the node.
rm -f /var/run/docker.pid /var/run/docker/containerd/containerd.pid
mkdir -p /root /var/log
if [ "${LAB_START_DOCKERD:-1}" = 1 ]; then
  ( dockerd > /var/log/dockerd.log 2>&1 & )
fi

if [ $# -gt 0 ]; then exec "$@"; fi
while :; do sleep 3600; done
