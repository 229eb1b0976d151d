#!/usr/bin/env bash
# A single-node SLURM cluster on localhost, for tests/workflow/test_slurm.py and CI.
#
# Installs Debian's slurm-wlm and munge when missing, writes /etc/slurm/slurm.conf
# from slurm.conf.in (this machine's host name, CPUs and memory), starts munged
# (as the munge user), slurmctld and slurmd (as root), and waits until the node
# is idle. Idempotent: daemons that already run are left alone, and a changed
# slurm.conf restarts them. Needs root (packages, daemons, /etc).
#
#   .ci/slurm/start.sh          # start (install if needed); prints the node state
#   .ci/slurm/start.sh stop     # stop the daemons this script starts
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
CONF=/etc/slurm/slurm.conf
MARKER="prunability's single-node test cluster"
STATE=/var/lib/slurm-prunability
LOGS=/var/log/slurm-prunability
PARTITION=debug
HOST="$(hostname -s)"

die() { echo "start.sh: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root: it installs packages and starts daemons (try: sudo $0)"

stop_daemon() {  # name pidfile: stop it and wait until it is gone
    local pid
    [ -f "$2" ] || return 0
    pid="$(cat "$2")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$2"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

if [ "${1:-}" = stop ]; then
    stop_daemon slurmd "$STATE/slurmd.pid"
    stop_daemon slurmctld "$STATE/slurmctld.pid"
    exit 0
fi

# --- packages ---------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || die "slurm-wlm and munge are missing and there is no apt-get; install SLURM (>= 22.05) and munge by hand"
    echo "start.sh: installing slurm-wlm and munge from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d in containers stops the packages' services from starting; we start them below.
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

# --- munge: the authentication every SLURM message carries -----------------
install -d -o munge -g munge -m 0700 /etc/munge
install -d -o munge -g munge -m 0711 /var/lib/munge
install -d -o munge -g munge -m 0700 /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [ ! -s /etc/munge/munge.key ]; then
    # The package creates a key on install; a container image may have dropped it.
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    # munged refuses to run as root; the Debian service runs it as munge too.
    runuser -u munge -- /usr/sbin/munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
    munge -n | unmunge >/dev/null || die "munged did not start; see /var/log/munge/munged.log"
fi

# --- slurm.conf -------------------------------------------------------------
if [ -f "$CONF" ] && ! head -n 1 "$CONF" | grep -qF "$MARKER"; then
    die "$CONF exists and was not written by this script; refusing to overwrite a real cluster's configuration"
fi
CPUS="$(nproc --all)"
# A little below MemTotal: slurmd drains a node whose RealMemory exceeds what it measures.
MEM_MB="$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.95}' /proc/meminfo)"
install -d -m 0755 /etc/slurm "$STATE" "$STATE/slurmctld" "$STATE/slurmd" "$LOGS"
new="$(sed -e "s|@HOST@|$HOST|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM_MB@|$MEM_MB|g" \
           -e "s|@STATE@|$STATE|g" -e "s|@LOGS@|$LOGS|g" -e "s|@PARTITION@|$PARTITION|g" \
           "$HERE/slurm.conf.in")"
if [ ! -f "$CONF" ] || [ "$new" != "$(cat "$CONF")" ]; then
    printf '%s\n' "$new" > "$CONF.tmp" && mv "$CONF.tmp" "$CONF"
    # A changed configuration needs fresh daemons (cheaper than reasoning about reconfigure).
    stop_daemon slurmd "$STATE/slurmd.pid"
    stop_daemon slurmctld "$STATE/slurmctld.pid"
fi

# --- daemons ----------------------------------------------------------------
running "$STATE/slurmctld.pid" || slurmctld
running "$STATE/slurmd.pid" || slurmd

# --- wait for an idle node ----------------------------------------------------
state=""
for _ in $(seq 60); do
    state="$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n 1 || true)"
    case "$state" in
        idle|mixed|allocated) break ;;
        down*|drain*|drained*)
            # A node left down by an earlier run (e.g. a restarted container): bring it back.
            scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 1
done
case "$state" in
    idle|mixed|allocated) echo "start.sh: SLURM is up: node $HOST is $state in partition $PARTITION ($CPUS CPUs, $MEM_MB MB)" ;;
    *) die "node $HOST is '${state:-unknown}' after 60 s; see $LOGS/slurmctld.log and $LOGS/slurmd.log" ;;
esac
