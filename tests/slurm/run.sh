#!/usr/bin/env bash
# `actlab submit --slurm` on a real SLURM: starts a private single-node cluster on this machine
# (munged, slurmctld and slurmd on localhost, every file in a temporary folder), then
#   1. submits tests/slurm/sweep.toml (12 points + baseline) as a 3-task job array and checks
#      that the merge job's sweep.csv equals the same sweep run locally;
#   2. submits it again with more epochs, cancels task 1 once it has finished a point, checks
#      that a resubmission is refused while tasks still run, that the merge job is cancelled
#      and `actlab merge` names the missing points, then resubmits: only shard 1 runs again,
#      no finished point is recomputed, and the merged sweep.csv equals a local run;
# and stops the daemons it started, by their process ids, however it ends.
#
# Installs nothing: needs Debian's `slurm-wlm` and `munge` (.ci/run installs them) and the
# release binary, target/release/actlab (built by `cargo test --release`), or ACTLAB=<path>.
# Runs as root in CI (SlurmUser and SlurmdUser are the user running it).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin" # munged, slurmctld and slurmd live there

repo=$(cd "$(dirname "$0")/../.." && pwd)
actlab=${ACTLAB:-${CARGO_TARGET_DIR:-$repo/target}/release/actlab}
# Epochs of the sweep whose task 1 is cancelled mid-way: long enough that task 1 (4 points)
# is still running when its first point is written.
long_epochs=${ACTLAB_SLURM_LONG_EPOCHS:-50000}

say() {
  echo "[$(($(date +%s) - started_at)) s] $*"
}

fail() {
  echo "tests/slurm/run.sh: FAILED: $*" >&2
  exit 1
}

[ -x "$actlab" ] || fail "no actlab binary at $actlab: run \`cargo build --release\` or set ACTLAB=<path>"
actlab=$(cd "$(dirname "$actlab")" && pwd)/$(basename "$actlab")
for program in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  command -v "$program" >/dev/null ||
    fail "\`$program\` is not installed: apt-get install -y slurm-wlm munge"
done

started_at=$(date +%s)
work=$(mktemp -d /tmp/actlab-slurm.XXXXXX)
cluster=$work/cluster
mkdir -p "$cluster/state" "$cluster/spool" "$cluster/log"
daemon_pids=()
helper_pids=()

stop_cluster() {
  local status=$?
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ -f "$SLURM_CONF" ]; then
    # Jobs first, so that no task outlives its slurmd. Every job here is this script's.
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u)
    if [ -n "$jobs" ]; then
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null
      for _ in $(seq 1 30); do
        [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.5
      done
    fi
  fi
  for pid in "${helper_pids[@]}"; do
    kill "$pid" 2>/dev/null
  done
  # Daemons in reverse order of start: slurmd, slurmctld, munged.
  for ((i = ${#daemon_pids[@]} - 1; i >= 0; i--)); do
    kill "${daemon_pids[i]}" 2>/dev/null
  done
  for pid in "${daemon_pids[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  if [ "$status" -ne 0 ]; then
    echo "--- logs (kept in $work) ---" >&2
    for log in "$cluster"/log/*.log "$work"/*/logs/*.out; do
      [ -f "$log" ] && { echo "== $log" >&2; tail -n 20 "$log" >&2; }
    done
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

# --- The cluster ----------------------------------------------------------------------------

dd if=/dev/urandom of="$cluster/munge.key" bs=1024 count=1 status=none
chmod 600 "$cluster/munge.key"
munged --foreground --force --key-file="$cluster/munge.key" --socket="$cluster/munge.socket" \
  --pid-file="$cluster/munged.pid" --seed-file="$cluster/munged.seed" \
  --log-file="$cluster/log/munged.log" >"$cluster/log/munged.out" 2>&1 &
daemon_pids+=($!)
for _ in $(seq 1 50); do [ -S "$cluster/munge.socket" ] && break; sleep 0.1; done
[ -S "$cluster/munge.socket" ] || fail "munged did not start (see $cluster/log/munged.out)"

# The node as slurmd sees this machine (CPUs, sockets, memory), named localhost.
node=$(slurmd -C | head -n 1 | sed 's/^NodeName=[^ ]*/NodeName=localhost/')
port=$((20000 + RANDOM % 20000))
user=$(id -un)
cat >"$cluster/slurm.conf" <<EOF
ClusterName=actlab-ci
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$cluster/munge.socket
StateSaveLocation=$cluster/state
SlurmdSpoolDir=$cluster/spool
SlurmctldPidFile=$cluster/slurmctld.pid
SlurmdPidFile=$cluster/slurmd.pid
SlurmctldLogFile=$cluster/log/slurmctld.log
SlurmdLogFile=$cluster/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
ReturnToService=2
KillWait=5
MinJobAge=600
SlurmdParameters=config_overrides
$node State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
# Read only by cgroup plugins, which this cluster does not use (proctrack/linuxproc,
# task/none); present so that no system-wide cgroup.conf is picked up.
cat >"$cluster/cgroup.conf" <<EOF
CgroupPlugin=autodetect
IgnoreSystemd=yes
EOF
export SLURM_CONF=$cluster/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" >"$cluster/log/slurmctld.out" 2>&1 &
daemon_pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$cluster/log/slurmd.out" 2>&1 &
daemon_pids+=($!)
for _ in $(seq 1 60); do
  [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break
  sleep 0.5
done
[ "$(sinfo -h -o %T 2>/dev/null)" = idle ] || fail "the node did not become idle: $(sinfo 2>&1)"
say "SLURM up: $(sinfo -h -o '%P %D node, %c CPUs, %T')"

# --- Helpers --------------------------------------------------------------------------------

job_state() {
  scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2
}

# Waits until job $1 has ended (at most $2 seconds); prints its final state.
wait_for_job() {
  local deadline=$(($(date +%s) + $2)) state
  while :; do
    state=$(job_state "$1")
    case "$state" in
      COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED)
        echo "$state"
        return
        ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || fail "job $1 still ${state:-unknown} after $2 s"
    sleep 0.5
  done
}

# Waits until no task of array job $1 is queued or running (at most $2 seconds).
wait_for_array() {
  local deadline=$(($(date +%s) + $2))
  while [ -n "$(squeue -h -r -j "$1" -o %i 2>/dev/null)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "array $1 still running after $2 s"
    sleep 0.5
  done
}

count_points() {
  find "$1" -maxdepth 1 -name '*.json' 2>/dev/null | wc -l
}

job_id() { # job_id <submit output> <array|merge>
  sed -n "s/^$2 job \([0-9][0-9]*\):.*/\1/p" "$1"
}

# Path, checksum and modification time of every finished point under $1.
point_files() {
  find "$1" -path '*/points/*.json' -print0 | sort -z | xargs -0 -r stat -c '%n %y' |
    while read -r path stamp; do echo "$path $(sha256sum <"$path" | cut -c1-64) $stamp"; done
}

cp "$repo/tests/slurm/sweep.toml" "$work/sweep.toml"
cd "$work"

# --- 1. A sweep as a 3-task array equals the same sweep run locally ---------------------------

"$actlab" run sweep.toml --out local >/dev/null 2>&1
"$actlab" submit sweep.toml --slurm --tasks 3 --out "$work/whole" \
  --sbatch-arg=--partition=debug --sbatch-arg=--time=00:10:00 \
  --sbatch-arg=--cpus-per-task=1 --sbatch-arg=--mem=500M | tee submit-whole.txt
merge=$(job_id submit-whole.txt merge)
[ -n "$merge" ] || fail "no merge job id printed"
state=$(wait_for_job "$merge" 120)
[ "$state" = COMPLETED ] || fail "merge job $merge ended $state"
cmp local/sweep.csv whole/sweep.csv || fail "merged sweep.csv differs from the local run"
for file in report.md heatmap.png; do
  [ -f "whole/$file" ] || fail "the merge job wrote no $file"
done
say "1. job array of 3 tasks + merge = local run ($(($(wc -l <whole/sweep.csv) - 1)) rows)"

# --- 2. A task cancelled mid-way, then resubmitted ------------------------------------------

submit_long=("$actlab" submit sweep.toml --set "train.epochs=$long_epochs" --slurm --tasks 3
  --out "$work/killed")
"${submit_long[@]}" | tee submit-killed.txt
array=$(job_id submit-killed.txt array)
old_merge=$(job_id submit-killed.txt merge)
deadline=$(($(date +%s) + 120))
until [ "$(count_points killed/shards/1/points)" -ge 1 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "task 1 wrote no point in 120 s"
  sleep 0.1
done
scancel "${array}_1"
while [ -n "$(squeue -h -j "${array}_1" -o %i 2>/dev/null)" ]; do sleep 0.2; done
done_in_1=$(count_points killed/shards/1/points)
[ "$done_in_1" -lt 4 ] ||
  fail "task 1 finished all 4 points before it was cancelled; raise ACTLAB_SLURM_LONG_EPOCHS"
say "2. cancelled task ${array}_1 after $done_in_1 of its 4 points"

if "${submit_long[@]}" >refused.txt 2>&1; then fail "resubmitted while tasks were running"; fi
grep -q "still in the queue" refused.txt || fail "unexpected refusal: $(cat refused.txt)"
say "   resubmitting while tasks 0 and 2 run is refused: $(grep -o 'jobs of the earlier.*queue' refused.txt)"

wait_for_array "$array" 300
if "$actlab" merge killed >merge-missing.txt 2>&1; then fail "actlab merge succeeded with points missing"; fi
grep -q "shard 1/3" merge-missing.txt || fail "actlab merge did not name shard 1: $(cat merge-missing.txt)"
say "   actlab merge names them: $(grep 'shard 1/3' merge-missing.txt | sed 's/^ *//')"

before=$(point_files killed)
# The local reference trains meanwhile, mostly on the core the resubmitted task leaves free.
"$actlab" run sweep.toml --set "train.epochs=$long_epochs" --out local-long >local-long.txt 2>&1 &
helper_pids+=($!)
"${submit_long[@]}" | tee resubmit.txt
grep -q "^array job [0-9]*: tasks 1 " resubmit.txt || fail "the resubmission did not run only task 1"
state=$(wait_for_job "$old_merge" 30)
[ "$state" = CANCELLED ] || fail "the first merge job $old_merge ended $state, not cancelled"
# SLURM cancels it once it sees the dependency can never be met (--kill-on-invalid-dep);
# a resubmission that comes first cancels it itself.
by="by SLURM"
grep -q "cancelled merge job $old_merge" resubmit.txt && by="by the resubmission"
say "   the first merge job $old_merge: $state $by ($(scontrol show job -o "$old_merge" | grep -o 'Reason=[A-Za-z]*'))"
new_merge=$(job_id resubmit.txt merge)
state=$(wait_for_job "$new_merge" 300)
[ "$state" = COMPLETED ] || fail "merge job $new_merge ended $state"
after=$(point_files killed/shards)
while read -r line; do
  grep -qxF "$line" <<<"$after" || fail "a finished point was rewritten: $line"
done <<<"$before"
wait "${helper_pids[0]}" || fail "the local run failed: $(cat local-long.txt)"
cmp local-long/sweep.csv killed/sweep.csv || fail "resubmitted sweep.csv differs from the local run"
say "   resubmitted shard 1 only; $(wc -l <<<"$before") finished points untouched; merged = local run"

say "tests/slurm/run.sh: passed in $(($(date +%s) - started_at)) s"
