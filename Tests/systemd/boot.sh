#!/bin/sh
# Runs as PID 1 of a fresh PID + mount (+ net, UTS, IPC) namespace, started by
# mprelay_systemd_test.py through unshare(1). It puts throw-away layers over everything systemd
# writes, proves that /tmp is a private tmpfs, and only then becomes systemd.
#
#   boot.sh WORKDIR TOKEN HOST_CANARY_NAME [KEEP...]
#
# WORKDIR holds the overlay upper and work directories (usr/u, usr/w, ...); it must not be
# under /tmp. Each KEEP is a host path under /tmp (the checkout, when it was cloned there) that
# stays visible, read-only, at the same path inside the private /tmp. Exit status 97 means the
# boot was refused before systemd ran.
set -u
work=$1
token=$2
canary=$3
shift 3

refuse() {
    echo "MPRELAY-BOOT-REFUSED: $*"
    exit 97
}

[ "$$" = 1 ] || refuse "not PID 1 of a new PID namespace (pid $$)"
case "$work" in
/tmp|/tmp/*) refuse "the work directory $work is under /tmp, which systemd's tmpfiles empties" ;;
/*) ;;
*) refuse "the work directory $work is not absolute" ;;
esac
[ -n "$token" ] && [ -n "$canary" ] || refuse "usage: boot.sh WORKDIR TOKEN HOST_CANARY_NAME"
[ -e "/tmp/$canary" ] || refuse "the host canary /tmp/$canary is not visible before the private /tmp is mounted"

# Nothing mounted here may reach the host.
mount --make-rprivate / || refuse "cannot make the mount tree private"

# Throw-away layers over the directories systemd and the test write to.
for dir in usr etc var; do
    mkdir -p "$work/$dir/u" "$work/$dir/w" || refuse "cannot create $work/$dir"
    mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$work/$dir/u,workdir=$work/$dir/w" "/$dir" \
        || refuse "cannot mount an overlay on /$dir"
    [ "$(stat -f -c %T "/$dir")" = overlayfs ] || refuse "/$dir is not an overlay after mounting one"
done

# Host paths under /tmp that must stay visible: held aside by a read-only bind mount now, moved
# into the private /tmp below. Read-only, so that nothing booted here can change them, and a
# mount point, which systemd-tmpfiles' clean-up of /tmp never descends into.
kept=0
for keep in "$@"; do
    case "$keep" in
    /tmp/?*) ;;
    *) refuse "$keep is not a path under /tmp" ;;
    esac
    [ -e "$keep" ] || refuse "$keep does not exist"
    kept=$((kept + 1))
    hold="$work/keep/$kept"
    if [ -d "$keep" ]; then mkdir -p "$hold"; else mkdir -p "$work/keep" && : > "$hold"; fi \
        || refuse "cannot create $hold"
    mount --bind "$keep" "$hold" && mount -o remount,bind,ro "$hold" \
        || refuse "cannot hold $keep aside read-only"
done

# The private /tmp. Without it, systemd-tmpfiles' boot-time "D /tmp" would empty the host's /tmp.
mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m tmpfs /tmp || refuse "cannot mount a tmpfs on /tmp"
[ "$(stat -f -c %T /tmp)" = tmpfs ] || refuse "/tmp is not a tmpfs"
mountpoint -q /tmp || refuse "/tmp is not a mount point"
[ ! -e "/tmp/$canary" ] || refuse "the host's /tmp is still visible at /tmp"
echo "$token" > /tmp/.mprelay-private-tmp || refuse "cannot write the private /tmp marker"
[ "$(cat /tmp/.mprelay-private-tmp)" = "$token" ] || refuse "the private /tmp marker does not read back"
kept=0
for keep in "$@"; do
    kept=$((kept + 1))
    hold="$work/keep/$kept"
    if [ -d "$hold" ]; then mkdir -p "$keep"; else mkdir -p "$(dirname "$keep")" && : > "$keep"; fi \
        || refuse "cannot create $keep in the private /tmp"
    mount --move "$hold" "$keep" || refuse "cannot mount $keep in the private /tmp"
    ! touch -c "$keep" 2>/dev/null || refuse "$keep is writable in the private /tmp"
done

# A private /run, so systemd's sockets and state never land in the host's /run.
mount -t tmpfs -o mode=0755,nosuid,nodev,size=64m tmpfs /run || refuse "cannot mount a tmpfs on /run"
[ "$(stat -f -c %T /run)" = tmpfs ] || refuse "/run is not a tmpfs"

# Kernel-wide settings stay out of reach, as systemd-nspawn does it: a read-only /sys turns off
# udev (ConditionPathIsReadWrite=/sys), a read-only /proc/sys turns off systemd-sysctl. The
# cgroup file systems under /sys/fs/cgroup stay writable: systemd needs them.
mount -o remount,bind,ro /sys || refuse "cannot make /sys read-only"
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys || refuse "cannot make /proc/sys read-only"

# systemd builds its cgroup tree under the cgroup it starts in: give it one of its own in each
# hierarchy it uses, so that the test removes everything it created by removing that one.
cgroup="mprelay-test-$token"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    hierarchies=/sys/fs/cgroup
else
    hierarchies="/sys/fs/cgroup/systemd /sys/fs/cgroup/unified"
fi
for hierarchy in $hierarchies; do
    [ -d "$hierarchy" ] || continue
    mkdir "$hierarchy/$cgroup" && echo $$ > "$hierarchy/$cgroup/cgroup.procs" \
        || refuse "cannot move into the cgroup $hierarchy/$cgroup"
done

# Units that would touch the host's devices, kernel or disks from inside: masked in the /etc layer.
mkdir -p /etc/systemd/system || refuse "cannot create /etc/systemd/system"
for unit in \
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service systemd-tmpfiles-setup-dev.service \
    systemd-modules-load.service kmod-static-nodes.service systemd-sysctl.service \
    systemd-binfmt.service proc-sys-fs-binfmt_misc.automount systemd-remount-fs.service \
    systemd-pstore.service systemd-journald-audit.socket systemd-random-seed.service \
    systemd-hwdb-update.service systemd-timesyncd.service systemd-networkd.service \
    getty.target console-getty.service getty@.service serial-getty@.service container-getty@.service \
    timers.target fstrim.service e2scrub_all.service e2scrub_reap.service swap.target cryptsetup.target
do
    ln -sf /dev/null "/etc/systemd/system/$unit" || refuse "cannot mask $unit"
done

# systemd moves credentials and other mounts out of short-lived helper namespaces, which needs
# shared propagation; outside containers it makes / shared itself. The mounts are private to this
# namespace already, so sharing now creates peer groups that never include a host mount.
mount --make-rshared / || refuse "cannot make the namespace's mounts shared"

# Boot only as far as basic.target: nothing from multi-user.target (databases, getty, cron).
echo "MPRELAY-BOOT-VERIFIED $token: /tmp and /run are private tmpfs, /usr /etc /var are overlays"
exec /lib/systemd/systemd --system --unit=basic.target --log-target=journal --show-status=false
