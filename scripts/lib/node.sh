# A real node beside the embedded control plane: the kubelet and kube-proxy at the control
# plane's Kubernetes version (built like it, scripts/lib/kube-tools.sh), a containerd of our own
# (CRI on; its own root, state, socket and runc root under .cache/node, never dockerd's), Debian's
# runc and CNI plugins (containernetworking-plugins, /usr/lib/cni) on a bridge of our own, and a
# sandbox image built here (scripts/node/pause) and imported, never pulled.
#
# Per clone (node_names, from a hash of the checkout's path): the node name, bridge, pod subnet
# and node IP, cgroup parent, containerd and kubelet folders, and the data volume. Host-wide and
# shared: kube-proxy's iptables chains (KUBE-SERVICES, ...), so one checkout's node runs on a
# host at a time (start_node refuses a second one and names the first).
#
# start_node leaves the host as it found it once stop_node has run: it records the sysctls the
# kubelet and kube-proxy change, the iptables chains, and the host folders the kubelet and
# containerd create when they are absent (/var/lib/kubelet, /run/containerd, /var/lib/cni), and
# stop_node puts each back. Stop order: pods (through the API, so the kubelet tears down their
# networks and mounts), the NetworkPolicy engine (scripts/lib/netpol.sh: its diversion first), kube-proxy,
# kubelet, containerd.
#
# Expects repo_root, cache_dir, KUBE_VERSION, KUBE_BIN, NODE_BIN and KUBECONFIG (scripts/lib/kube-tools.sh,
# control-plane.sh), start_netpol/stop_netpol (scripts/lib/netpol.sh) and log/die/wait_until/apt_install
# (scripts/lib/log.sh).
: "${repo_root:?}" "${cache_dir:?}" "${KUBE_VERSION:?}"

# The image name the CRI plugin uses as the sandbox image (containerd.toml) and the archive carries.
NODE_SANDBOX_IMAGE=ragstar.local/pause:1
# The sysctls the kubelet (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops: its
# protectKernelDefaults=false path) and kube-proxy and the CNI bridge plugin (forwarding,
# route_localnet, conntrack) may change; saved before start, restored at stop.
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
    net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Host folders the kubelet, containerd and libcni create at fixed paths whatever their root
# folders say (the kubelet's device-plugin socket, the runc shims' sockets, libcni's cache).
NODE_HOST_DIRS=(/var/lib/kubelet /run/containerd /var/lib/cni)

node_dir() { printf '%s/node' "$cache_dir"; }

# node_names: NODE_ID (six hex digits), NODE_NAME, NODE_BRIDGE, NODE_SUBNET (a /24), NODE_IP (its
# .1, the bridge's address: the kubelet refuses a loopback node IP) and NODE_CGROUP, all derived
# from this checkout's path.
node_names() {
    local id n
    id="$(printf '%s' "$repo_root" | sha256sum | cut -c1-6)"
    n=$((16#${id:0:2}))
    NODE_ID="$id"
    NODE_NAME="ragstar-node-$id"
    NODE_BRIDGE="rgn$id"
    NODE_SUBNET="10.244.$n.0/24"
    NODE_IP="10.244.$n.1"
    NODE_CGROUP="ragstar-$id"
}

# ensure_node_packages: Debian's containerd, runc, CNI plugins and iptables (the node's binaries,
# kubelet and kube-proxy, come from ensure_kube_tools).
ensure_node_packages() {
    [[ -x /usr/lib/cni/bridge ]] || apt_install containernetworking-plugins
    command -v containerd >/dev/null && command -v runc >/dev/null || apt_install containerd runc
    command -v iptables >/dev/null || apt_install iptables
}

node_running() { [[ -f "$(node_dir)/kubelet.pid" ]] && kill -0 "$(cat "$(node_dir)/kubelet.pid")" 2>/dev/null; }

# other_node_pids: kubelets of other checkouts on this host (their --hostname-override is another ragstar-node-*).
other_node_pids() {
    local pid args
    for pid in $(pgrep -x kubelet || true); do
        args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        [[ "$args" == *"--hostname-override ragstar-node-"* && "$args" != *"--hostname-override $NODE_NAME "* ]] && printf '%s ' "$pid"
    done
    return 0
}

# node_exports: what the tests read about this node (infra/tools/node/nodeCluster.ts).
node_exports() {
    export RAGSTAR_NODE_NAME="$NODE_NAME" RAGSTAR_NODE_IP="$NODE_IP" RAGSTAR_NODE_CONTAINERD="$(node_dir)/containerd.sock" RAGSTAR_NODE_DIR="$(node_dir)"
}

node_start_process() { # NAME COMMAND...: start in the background, log and pid under the node folder
    local name="$1" dir
    dir="$(node_dir)"
    shift
    "$@" >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
}

# node_record_host: what start_node may change on the host, recorded once before the first start.
node_record_host() {
    local dir="$1" d
    [[ -f "$dir/host.recorded" ]] && return
    sysctl "${NODE_SYSCTLS[@]}" 2>/dev/null | sed 's/ //g' >"$dir/sysctls.saved"
    : >"$dir/made-dirs"
    for d in "${NODE_HOST_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d" >>"$dir/made-dirs"; done
    local t
    for t in iptables ip6tables; do "$t-save" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | sort -u >"$dir/$t.chains"; done
    touch "$dir/host.recorded"
}

# node_write_configs DIR: the CNI network, containerd, kubelet and kube-proxy configs. The CNI
# chain's firewall plugin accepts each pod's traffic in the filter table's FORWARD chain (its
# CNI-FORWARD chain, removed again by node_remove_new_chains): Docker sets FORWARD's policy to DROP,
# and with br_netfilter (bridge-nf-call-iptables=1) bridged pod-to-pod packets pass through FORWARD,
# so without it a pod could not open a connection to another pod or to a Service (seen as a
# timeout, with or without any NetworkPolicy).
node_write_configs() {
    local dir="$1"
    cat >"$dir/cni/net.d/10-ragstar.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "ragstar-$NODE_NAME", "plugins": [
  {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_SUBNET", "gateway": "$NODE_IP"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$dir/cni/ipam"}},
  {"type": "firewall", "backend": "iptables"},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
CNI
    cat >"$dir/containerd.toml" <<TOML
version = 2
root = "$dir/containerd-root"
state = "$dir/containerd-state"
[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_SANDBOX_IMAGE"
  # No CAP_SYS_RESOURCE here: runc could not set the sandbox's negative OOM score.
  restrict_oom_score_adj = true
  disable_apparmor = true
  # Pod network namespaces under our state folder, not /var/run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd-opt"
TOML
    cat >"$dir/kubelet.yaml" <<KUBELET
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false            # this host mounts cgroup v1
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP
oomScoreAdj: 0                 # no CAP_SYS_RESOURCE for a negative score
containerRuntimeEndpoint: unix://$dir/containerd.sock
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $(cp_dir)/pki/ca.crt}}
authorization: {mode: Webhook}
address: $NODE_IP              # this clone's bridge address: no port clash with another clone's kubelet
readOnlyPort: 0
healthzPort: 0
failSwapOn: false
makeIPTablesUtilChains: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
podLogsDir: $dir/pod-logs      # not /var/log/pods
KUBELET
    cat >"$dir/kube-proxy.yaml" <<PROXY
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $KUBECONFIG}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: $NODE_IP:10256
metricsBindAddress: $NODE_IP:10249
clusterCIDR: $NODE_SUBNET
nodePortAddresses: ["$NODE_IP/32"]
# Leave the host's conntrack sysctls and route_localnet alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
PROXY
}

# node_sandbox_image DIR: build the pause binary and import it into our containerd as an OCI archive.
node_sandbox_image() {
    local dir="$1"
    (cd "$repo_root/scripts/node/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/pause/pause" .) >&2 \
        || die "building the sandbox image's pause binary failed"
    python3 "$repo_root/scripts/node/pause/oci_archive.py" "$dir/pause/pause" "$NODE_SANDBOX_IMAGE" "$dir/pause/pause.tar" \
        && ctr --address "$dir/containerd.sock" -n k8s.io images import "$dir/pause/pause.tar" >/dev/null \
        || die "importing the sandbox image into containerd failed"
}

# node_volume DIR: the data volume, a `local` PV pinned to this node (Retain: never Recycle, whose
# recycler pod needs an image that cannot be pulled here). A Released volume (its claim deleted,
# e.g. by pulumi destroy) is made Available again for the claim it is reserved for.
node_volume() {
    local dir="$1" path="$1/volumes/data-0" phase
    mkdir -p "$path"
    "$KUBE_BIN/kubectl" apply -f - >/dev/null <<VOLUME || die "creating the data volume failed"
apiVersion: v1
kind: PersistentVolume
metadata: {name: embedded-data-0}
spec:
  capacity: {storage: 50Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  local: {path: $path}
  nodeAffinity:
    required:
      nodeSelectorTerms: [{matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]}]
VOLUME
    phase="$("$KUBE_BIN/kubectl" get pv embedded-data-0 -o jsonpath='{.status.phase}' 2>/dev/null || true)"
    if [[ "$phase" == Released ]]; then
        "$KUBE_BIN/kubectl" patch pv embedded-data-0 --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null
    fi
}

# start_node: start this checkout's node (or reuse it when it runs) and wait until it is Ready.
start_node() {
    local dir started=$SECONDS others
    dir="$(node_dir)"
    node_names
    if node_running; then
        log "node $NODE_NAME: already running"
        start_netpol
        node_volume "$dir"
        node_exports
        return
    fi
    others="$(other_node_pids)"
    [[ -z "$others" ]] || die "another checkout's node runs on this host (kubelet pid ${others% }): kube-proxy's iptables chains are host-wide, so one checkout's node runs at a time; stop it with 'bash scripts/main stop-cluster' in that checkout"
    if ip -4 route show "$NODE_SUBNET" | grep -qv "dev $NODE_BRIDGE"; then
        die "the pod subnet $NODE_SUBNET of node $NODE_NAME is routed elsewhere on this host ($(ip -4 route show "$NODE_SUBNET")); move this checkout or free the subnet"
    fi
    mkdir -p "$dir"/{cni/net.d,containerd-root,containerd-state,kubelet-root,pause,pod-logs,runc}
    node_record_host "$dir"
    # cgroup v1: the kubelet's cgroupRoot must exist in every hierarchy; cpuset needs cpus and mems.
    local c
    for c in /sys/fs/cgroup/*/; do [[ -L "${c%/}" ]] || mkdir -p "$c$NODE_CGROUP"; done
    if [[ -d /sys/fs/cgroup/cpuset/$NODE_CGROUP ]]; then
        cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
        cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
    fi
    # The bridge exists before the kubelet starts: its address is the node IP.
    ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
    ip addr replace "$NODE_IP/24" dev "$NODE_BRIDGE"
    ip link set "$NODE_BRIDGE" up
    node_write_configs "$dir"
    node_start_process containerd containerd --config "$dir/containerd.toml"
    wait_until 30 "containerd" ctr --address "$dir/containerd.sock" version || { tail -20 "$dir/containerd.log" >&2; die "containerd did not start (log: $dir/containerd.log)"; }
    node_sandbox_image "$dir"
    node_start_process kubelet "$NODE_BIN/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$KUBECONFIG" --root-dir "$dir/kubelet-root" \
        --cert-dir "$dir/kubelet-pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --node-labels "ragstar.dev/node=real"
    wait_until 90 "node $NODE_NAME" "$KUBE_BIN/kubectl" wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s \
        || { tail -20 "$dir/kubelet.log" >&2; die "node $NODE_NAME did not become Ready (log: $dir/kubelet.log)"; }
    # The node-lifecycle controller is off (kwok): lift the not-ready taint the admission plugin set.
    "$KUBE_BIN/kubectl" taint node "$NODE_NAME" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
    node_start_process kube-proxy "$NODE_BIN/kube-proxy" --config "$dir/kube-proxy.yaml"
    wait_until 30 "kube-proxy" curl -sf "http://$NODE_IP:10256/healthz" \
        || { tail -20 "$dir/kube-proxy.log" >&2; die "kube-proxy did not become healthy (log: $dir/kube-proxy.log)"; }
    start_netpol
    node_volume "$dir"
    node_exports
    log "node $NODE_NAME ($NODE_IP, pods $NODE_SUBNET) Ready in $((SECONDS - started)) s"
}

node_stop_pid() { # NAME: SIGTERM, then SIGKILL after 10 s
    local dir="$1" name="$2" pid
    [[ -f "$dir/$name.pid" ]] || return 0
    pid="$(cat "$dir/$name.pid")"
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/$name.pid"
}

# node_remove_new_chains DIR: remove the iptables chains that were not there before start (the
# kubelet's KUBE-FIREWALL and canaries, kube-proxy's KUBE-*, the CNI bridge plugin's CNI-* masquerade
# chains of pods it did not get to tear down), with the rules that jump to them.
node_remove_new_chains() {
    local dir="$1" t table chain
    for t in iptables ip6tables; do
        [[ -f "$dir/$t.chains" ]] || continue
        for table in filter nat mangle; do
            for chain in $("$t-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
                grep -qx "$chain" "$dir/$t.chains" && continue
                { "$t-save" -t "$table" | grep -E -- "^-A [^ ]+ .*-j $chain( |$)" || true; } | sed 's/^-A /-D /' | while read -r rule; do
                    eval "$t -t $table $rule" 2>/dev/null || true
                done
                "$t" -t "$table" -F "$chain" 2>/dev/null || true
            done
            for chain in $("$t-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
                grep -qx "$chain" "$dir/$t.chains" || "$t" -t "$table" -X "$chain" 2>/dev/null || true
            done
        done
    done
}

# stop_node: stop this checkout's node and undo what it changed on the host (see the header).
stop_node() {
    local dir
    dir="$(node_dir)"
    node_names
    [[ -d "$dir" ]] || return 0
    if node_running && [[ -n "${KUBE_BIN:-}" ]] && control_plane_ready; then
        "$KUBE_BIN/kubectl" delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" --wait=true --timeout=60s >/dev/null 2>&1 || true
    fi
    stop_netpol
    node_stop_pid "$dir" kube-proxy
    node_stop_pid "$dir" kubelet
    # Containers the kubelet did not get to remove (a plane already gone): stop them through containerd.
    if [[ -S "$dir/containerd.sock" ]] && ctr --address "$dir/containerd.sock" version >/dev/null 2>&1; then
        local task
        for task in $(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null); do
            ctr --address "$dir/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
        done
        sleep 0.5
    fi
    node_stop_pid "$dir" containerd
    # Shims outlive containerd: end the ones of our containerd (their -address names our socket).
    pkill -9 -f "containerd-shim-runc-v2 .*-address $dir/containerd.sock" 2>/dev/null || true
    # Mounts under our folders (pod volumes, network namespaces, container rootfs), deepest first.
    { grep -o " $dir[^ ]*" /proc/mounts || true; } | sort -ru | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    node_remove_new_chains "$dir"
    local c
    for c in /sys/fs/cgroup/*/"$NODE_CGROUP"; do
        if [[ -d "$c" ]]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
    done
    ip link del "$NODE_BRIDGE" 2>/dev/null || true
    if [[ -f "$dir/made-dirs" && -z "$(other_node_pids)" ]]; then
        xargs -r rm -rf <"$dir/made-dirs"
    fi
    if [[ -f "$dir/sysctls.saved" ]]; then
        xargs -r sysctl -w <"$dir/sysctls.saved" >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    log "node $NODE_NAME stopped; host restored"
}
