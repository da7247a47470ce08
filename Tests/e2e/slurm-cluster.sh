# A throw-away one-node Slurm cluster on loopback, without systemd (sourced by Tests/e2e/slurm.sh):
#   slurm_start DIR   starts munged (own key and socket in DIR), slurmctld -D and slurmd -D in the background, exports
#                     SLURM_CONF=DIR/slurm.conf and waits until `sinfo` shows the node idle (exit status 1 if not
#                     within 30 s; the daemons' logs are in DIR/log).
#   slurm_stop        cancels the cluster's jobs (scancel), stops every daemon slurm_start started, by PID (TERM, then
#                     KILL after 5 s), and unsets SLURM_CONF
#                     (clients retry for about 60 s when it names a file that no longer exists). Safe to call twice.
# Needs Debian's slurmctld, slurmd, slurm-client and munge (Slurm 22.05); run as root (SlurmUser=root).
# Settings without cgroups or accounting: proctrack/linuxproc, task/none, no accounting storage; cons_tres with CR_Core
# so that two 1-CPU array tasks run at once on two cores.

slurm_pids=()

slurm_start() {
    local dir=$1
    mkdir -p "$dir"/{log,state,spool,munge}
    # munged refuses a socket under a directory that is not searchable by everyone (mktemp -d makes 0700).
    local d=$dir
    while [[ $d != / ]]; do chmod o+x "$d" 2>/dev/null; d=$(dirname "$d"); done
    chmod 755 "$dir" "$dir/munge"
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$dir/munge/munge.key"
    local sock=$dir/munge/munge.socket
    munged --foreground --force --key-file="$dir/munge/munge.key" --socket="$sock" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed" \
        >"$dir/log/munged.out" 2>&1 &
    slurm_pids+=($!)
    local node; node=$(hostname -s)
    local topo; topo=$(slurmd -C 2>/dev/null | head -n 1 | sed -E 's/^NodeName=[^ ]+ //; s/ RealMemory=[0-9]+//')
    cat >"$dir/slurm.conf" <<EOF
ClusterName=tbtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
SlurmctldPort=$((20000 + RANDOM % 20000))
SlurmdPort=$((40000 + RANDOM % 20000))
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
ReturnToService=2
MinJobAge=300
KillWait=2
NodeName=$node NodeAddr=127.0.0.1 $topo RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF=$dir/slurm.conf
    # Wait for munged's socket before the daemons that need it.
    local i
    for ((i = 0; i < 50; i++)); do [[ -S $sock ]] && break; sleep 0.1; done
    slurmctld -D -f "$SLURM_CONF" >"$dir/log/slurmctld.out" 2>&1 &
    slurm_pids+=($!)
    slurmd -D -f "$SLURM_CONF" >"$dir/log/slurmd.out" 2>&1 &
    slurm_pids+=($!)
    for ((i = 0; i < 150; i++)); do
        [[ $(sinfo -h -o %T 2>/dev/null) == idle ]] && return 0
        sleep 0.2
    done
    echo "slurm_start: the node is not idle after 30 s: $(sinfo -h 2>&1 | head -n 2)" >&2
    tail -n 5 "$dir"/log/*.log >&2
    return 1
}

slurm_stop() {
    local p i
    # First end the jobs (their processes belong to slurmstepd, not to the daemons): every job of this private cluster.
    if [[ -n ${SLURM_CONF:-} && ${#slurm_pids[@]} -gt 0 ]]; then
        scancel --user="$(id -un)" 2>/dev/null
        for ((i = 0; i < 50; i++)); do [[ -z $(squeue -h -o %i 2>/dev/null) ]] && break; sleep 0.1; done
    fi
    for p in "${slurm_pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    local alive
    for ((i = 0; i < 50; i++)); do
        alive=0
        for p in "${slurm_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for p in "${slurm_pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    slurm_pids=()
    unset SLURM_CONF
}
