# A real node beside the embedded control plane: the kubelet and kube-proxy at the control
# plane's Kubernetes version (built like it, scripts/lib/kube-tools.sh), a containerd of our own
# (CRI on; its own root, state, socket and runc root under .cache/node, never dockerd's), Debian's
# runc and CNI plugins (containernetworking-plugins, /usr/lib/cni) on a bridge of our own, and a
# sandbox image built here (scripts/node/pause) and imported, never pulled.
#
# The node's network namespace. The kubelet, kube-proxy, the NetworkPolicy engine, the pods'
# bridge and the host ends of the pods' links live in a network namespace of the node's own
# (NODE_NETNS, a file under .cache/node), so kube-proxy's iptables chains (KUBE-SERVICES, ...), the
# kubelet's, the CNI plugins' and the engine's are the namespace's, not the host's, and several
# checkouts' nodes run side by side. containerd stays in the host's namespace, so it pulls from
# the registries on the host's loopback; the CNI plugins it runs are wrappers (NODE_DIR/cni/bin)
# that enter the node's namespace first. The namespace reaches the host by a veth pair: host end
# NODE_LINK with NODE_HOST_IP, node end eth0 with NODE_IP (the node's InternalIP: the kubelet and
# kube-proxy listen there). The host routes the pod subnet and this clone's Service range
# (cp_service_cidr) to NODE_IP, so the tests and the main job reach pods and ClusterIPs from the
# host as before, and pods reach servers on the host at NODE_HOST_IP. The API server stays on the
# host's loopback only: scripts/node/loopback_forward.py listens on 127.0.0.1:<its port> inside
# the namespace and connects on the host's, so the components keep the kubeconfig as it is.
#
# Per clone (node_names, from clone_id/clone_index): the node name, namespace, link, subnets and
# addresses, cgroup parent, containerd and kubelet folders, and the data volume. Host-wide and
# shared by the nodes on a host: the kubelet's sysctls (vm.overcommit_memory, kernel.panic*) and
# the folders it, containerd and libcni make at fixed paths (NODE_HOST_DIRS). The first node to start
# records them; a node that starts while another runs copies that one's record, and only the last
# node to stop restores them.
#
# start_node leaves the host as it found it once stop_node has run. Stop order: pods (through the
# API, so the kubelet tears down their networks and mounts), the NetworkPolicy engine
# (scripts/lib/netpol.sh: its diversion first), kube-proxy, kubelet, containerd, the forwarder; then
# the mounts under .cache/node (the namespace's file last of all) and the link.
#
# Expects repo_root, cache_dir, KUBE_VERSION, KUBE_BIN, NODE_BIN and KUBECONFIG (scripts/lib/kube-tools.sh,
# control-plane.sh), start_netpol/stop_netpol (scripts/lib/netpol.sh) and log/die/wait_until/apt_install
# (scripts/lib/log.sh).
: "${repo_root:?}" "${cache_dir:?}" "${KUBE_VERSION:?}"

# The image name the CRI plugin uses as the sandbox image (containerd.toml) and the archive carries.
NODE_SANDBOX_IMAGE=ragstar.local/pause:1
# The host's sysctls the kubelet changes (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops:
# its protectKernelDefaults=false path; not per network namespace) and, as a guard, the host's
# forwarding, route_localnet and conntrack settings: saved before the first node starts, restored
# when the last one stops. (The net.* ones the node changes, forwarding in particular, are its
# namespace's own.)
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward net.ipv4.conf.all.route_localnet
    net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Host folders the kubelet, containerd and libcni create at fixed paths whatever their root
# folders say (the kubelet's device-plugin socket, the runc shims' sockets, libcni's cache).
NODE_HOST_DIRS=(/var/lib/kubelet /run/containerd /var/lib/cni)
# The CNI plugins of the network (node_write_configs); each runs through a wrapper that enters the node's namespace.
NODE_CNI_PLUGINS=(bridge host-local portmap loopback)

node_dir() { printf '%s/node' "$cache_dir"; }

# node_names: this checkout's node, from clone_id and clone_index (n):
#   NODE_ID (six hex digits), NODE_NAME ragstar-node-<id>, NODE_CGROUP ragstar-<id>,
#   NODE_NETNS (the namespace's file), NODE_LINK rgn<id> (the host end of the veth pair),
#   NODE_HOST_IP 10.245.n.1 (host end) and NODE_IP 10.245.n.2 (node end, the InternalIP) on a /30,
#   NODE_SUBNET 10.244.n.0/24 (pods) with NODE_GATEWAY 10.244.n.1 on NODE_BRIDGE (in the namespace),
#   NODE_SERVICE_CIDR (cp_service_cidr, the control plane's Service range).
node_names() {
    local n
    n="$(clone_index)"
    NODE_ID="$(clone_id)"
    NODE_NAME="ragstar-node-$NODE_ID"
    NODE_CGROUP="ragstar-$NODE_ID"
    NODE_NETNS="$(node_dir)/netns"
    NODE_LINK="rgn$NODE_ID"
    NODE_HOST_IP="10.245.$n.1"
    NODE_IP="10.245.$n.2"
    NODE_SUBNET="10.244.$n.0/24"
    NODE_GATEWAY="10.244.$n.1"
    NODE_BRIDGE="rgbr0"
    NODE_SERVICE_CIDR="$(cp_service_cidr)"
}

# node_ns COMMAND...: run COMMAND in the node's network namespace (host mount namespace).
node_ns() { nsenter --net="$NODE_NETNS" "$@"; }

# ensure_node_packages: Debian's containerd, runc, CNI plugins, iptables and util-linux's
# nsenter/unshare (the node's binaries, kubelet and kube-proxy, come from ensure_kube_tools).
ensure_node_packages() {
    [[ -x /usr/lib/cni/bridge ]] || apt_install containernetworking-plugins
    command -v containerd >/dev/null && command -v runc >/dev/null || apt_install containerd runc
    command -v iptables >/dev/null || apt_install iptables
    command -v nsenter >/dev/null && command -v unshare >/dev/null || apt_install util-linux
}

node_running() { [[ -f "$(node_dir)/kubelet.pid" ]] && kill -0 "$(cat "$(node_dir)/kubelet.pid")" 2>/dev/null; }

# other_node_dirs: the state folders of other checkouts' running nodes on this host (from their
# kubelets' --config <dir>/kubelet.yaml; their --hostname-override is another ragstar-node-*).
other_node_dirs() {
    local pid args
    for pid in $(pgrep -x kubelet || true); do
        args="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        [[ "$args" == *"--hostname-override ragstar-node-"* && "$args" != *"--hostname-override $NODE_NAME "* ]] || continue
        [[ "$args" =~ --config\ ([^ ]+)/kubelet\.yaml ]] && printf '%s\n' "${BASH_REMATCH[1]}"
    done
    return 0
}

# node_exports: what the tests read about this node (infra/tools/node/nodeCluster.ts), and
# RAGSTAR_NODE_START_SECONDS, how long its last start took (infra/tools/cli/benchRollout.ts).
node_exports() {
    RAGSTAR_NODE_START_SECONDS="$(cat "$(node_dir)/start-seconds" 2>/dev/null || true)"
    export RAGSTAR_NODE_START_SECONDS
    export RAGSTAR_NODE_NAME="$NODE_NAME" RAGSTAR_NODE_IP="$NODE_IP" RAGSTAR_NODE_HOST_IP="$NODE_HOST_IP" \
        RAGSTAR_NODE_NETNS="$NODE_NETNS" RAGSTAR_NODE_CONTAINERD="$(node_dir)/containerd.sock" RAGSTAR_NODE_DIR="$(node_dir)"
}

node_start_process() { # NAME COMMAND...: start in the background, log and pid under the node folder
    local name="$1" dir
    dir="$(node_dir)"
    shift
    "$@" >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
}

# node_record_host DIR: what the nodes may change on the host, recorded once before this node's
# first start: the sysctls and the host folders that do not exist yet, or, when another checkout's
# node runs, that node's record (it holds the values from before any node started).
node_record_host() {
    local dir="$1" d other
    [[ -f "$dir/host.recorded" ]] && return
    other="$(other_node_dirs | head -1)"
    if [[ -n "$other" && -f "$other/host.recorded" ]]; then
        cp "$other/sysctls.saved" "$other/made-dirs" "$dir/"
    else
        sysctl "${NODE_SYSCTLS[@]}" 2>/dev/null | sed 's/ //g' >"$dir/sysctls.saved"
        : >"$dir/made-dirs"
        for d in "${NODE_HOST_DIRS[@]}"; do [[ -e "$d" ]] || echo "$d" >>"$dir/made-dirs"; done
    fi
    touch "$dir/host.recorded"
}

# node_network DIR: the namespace, the veth pair, the addresses and routes (see the header), and
# the CNI plugin wrappers. The pods' bridge is made here too, so NetworkPolicy's diversion
# (scripts/lib/netpol.sh) can name it before the first pod.
node_network() {
    local dir="$1" plugin
    if ! grep -q " $NODE_NETNS nsfs " /proc/mounts; then
        : >"$NODE_NETNS"
        unshare --net="$NODE_NETNS" true || die "creating the node's network namespace at $NODE_NETNS failed"
    fi
    ip link show "$NODE_LINK" >/dev/null 2>&1 || ip link add "$NODE_LINK" type veth peer name eth0 netns "$NODE_NETNS" \
        || die "creating the link $NODE_LINK to the node's network namespace failed"
    ip addr replace "$NODE_HOST_IP/30" dev "$NODE_LINK"
    ip link set "$NODE_LINK" up
    node_ns ip link set lo up
    node_ns ip addr replace "$NODE_IP/30" dev eth0
    node_ns ip link set eth0 up
    node_ns ip route replace default via "$NODE_HOST_IP"
    node_ns ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || node_ns ip link add "$NODE_BRIDGE" type bridge
    node_ns ip addr replace "$NODE_GATEWAY/24" dev "$NODE_BRIDGE"
    node_ns ip link set "$NODE_BRIDGE" up
    # The namespace's own settings: it routes between the host and the pods.
    node_ns sysctl -qw net.ipv4.ip_forward=1
    ip route replace "$NODE_SUBNET" via "$NODE_IP" dev "$NODE_LINK"
    ip route replace "$NODE_SERVICE_CIDR" via "$NODE_IP" dev "$NODE_LINK"
    mkdir -p "$dir/cni/bin"
    for plugin in "${NODE_CNI_PLUGINS[@]}"; do
        printf '#!/bin/sh\n# %s in the node'"'"'s network namespace (scripts/lib/node.sh, node_network)\nexec nsenter --net=%q /usr/lib/cni/%s "$@"\n' \
            "$plugin" "$NODE_NETNS" "$plugin" >"$dir/cni/bin/$plugin"
        chmod 755 "$dir/cni/bin/$plugin"
    done
}

# node_route_problem: why this clone's routes cannot be made (another link holds one of its
# subnets: another checkout whose clone_index is the same, or the host's own network), or nothing.
node_route_problem() {
    local net route
    for net in "$NODE_SUBNET" "$NODE_SERVICE_CIDR" "${NODE_HOST_IP%.*}.0/30"; do
        route="$(ip -4 route show "$net" | grep -v "dev $NODE_LINK" || true)"
        [[ -z "$route" ]] || { printf '%s is routed elsewhere on this host (%s)' "$net" "$route"; return; }
    done
}

# node_write_configs DIR: the CNI network, containerd, kubelet and kube-proxy configs.
node_write_configs() {
    local dir="$1"
    cat >"$dir/cni/net.d/10-ragstar.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "ragstar-$NODE_NAME", "plugins": [
  {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_SUBNET", "gateway": "$NODE_GATEWAY"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$dir/cni/ipam"}},
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
  # exec, logs and port-forward: the kubelet, in the node's namespace, reaches this on the link.
  stream_server_address = "$NODE_HOST_IP"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$dir/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$dir/cni/bin"
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
address: $NODE_IP              # the node end of the link
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
# Leave the conntrack sysctls (nf_conntrack_max is the host's) and route_localnet alone.
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
    local dir started=$SECONDS started_ns problem api_port
    started_ns="$(date +%s%N)"
    dir="$(node_dir)"
    node_names
    if node_running; then
        log "node $NODE_NAME: already running"
        start_netpol
        node_volume "$dir"
        node_exports
        return
    fi
    problem="$(node_route_problem)"
    [[ -z "$problem" ]] || die "node $NODE_NAME cannot be made: $problem; free it, or move this checkout (the subnets come from a hash of its path)"
    api_port="$(sed -n 's#^ *server: https://127.0.0.1:\([0-9]*\)$#\1#p' "$KUBECONFIG")"
    [[ -n "$api_port" ]] || die "the kubeconfig $KUBECONFIG names no https://127.0.0.1:PORT server for the node to reach"
    mkdir -p "$dir"/{cni/net.d,containerd-root,containerd-state,kubelet-root,pause,pod-logs,runc}
    node_record_host "$dir"
    # cgroup v1: the kubelet's cgroupRoot must exist in every hierarchy; cpuset needs cpus and mems.
    local c
    for c in /sys/fs/cgroup/*/; do [[ -L "${c%/}" ]] || mkdir -p "$c$NODE_CGROUP"; done
    if [[ -d /sys/fs/cgroup/cpuset/$NODE_CGROUP ]]; then
        cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
        cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
    fi
    node_network "$dir"
    node_start_process forward python3 "$repo_root/scripts/node/loopback_forward.py" "$NODE_NETNS" "$api_port"
    wait_until 10 "the API server's port in the node's namespace" grep -q '^forwarding' "$dir/forward.log" \
        || { cat "$dir/forward.log" >&2; die "forwarding the API server's port into the node's namespace failed (log: $dir/forward.log)"; }
    node_write_configs "$dir"
    node_start_process containerd containerd --config "$dir/containerd.toml"
    wait_until 30 "containerd" ctr --address "$dir/containerd.sock" version || { tail -20 "$dir/containerd.log" >&2; die "containerd did not start (log: $dir/containerd.log)"; }
    node_sandbox_image "$dir"
    node_start_process kubelet nsenter --net="$NODE_NETNS" "$NODE_BIN/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$KUBECONFIG" --root-dir "$dir/kubelet-root" \
        --cert-dir "$dir/kubelet-pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --node-labels "ragstar.dev/node=real"
    wait_until 90 "node $NODE_NAME" "$KUBE_BIN/kubectl" wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s \
        || { tail -20 "$dir/kubelet.log" >&2; die "node $NODE_NAME did not become Ready (log: $dir/kubelet.log)"; }
    # The node-lifecycle controller is off (kwok): lift the not-ready taint the admission plugin set.
    "$KUBE_BIN/kubectl" taint node "$NODE_NAME" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
    node_start_process kube-proxy nsenter --net="$NODE_NETNS" "$NODE_BIN/kube-proxy" --config "$dir/kube-proxy.yaml"
    wait_until 30 "kube-proxy" curl -sf "http://$NODE_IP:10256/healthz" \
        || { tail -20 "$dir/kube-proxy.log" >&2; die "kube-proxy did not become healthy (log: $dir/kube-proxy.log)"; }
    start_netpol
    node_volume "$dir"
    # From start_node's call to kube-proxy and the engine running (bench:rollout's node_start_s).
    awk -v a="$started_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.2f\n", (b - a) / 1e9}' >"$dir/start-seconds"
    node_exports
    log "node $NODE_NAME ($NODE_IP, pods $NODE_SUBNET, Services $NODE_SERVICE_CIDR, namespace $NODE_NETNS) Ready in $((SECONDS - started)) s"
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
    node_stop_pid "$dir" forward
    # Mounts under our folders (pod volumes, pod network namespaces, container rootfs, the node's
    # namespace), deepest first; the namespace goes once nothing holds it.
    { grep -o " $dir[^ ]*" /proc/mounts || true; } | sort -ru | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    local c
    for c in /sys/fs/cgroup/*/"$NODE_CGROUP"; do
        if [[ -d "$c" ]]; then find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
    done
    # The host end of the pair (the node end goes with it) and the routes through it.
    ip link del "$NODE_LINK" 2>/dev/null || true
    # Host-wide: put back only when no other checkout's node still runs (it holds the same record).
    if [[ -z "$(other_node_dirs)" ]]; then
        [[ -f "$dir/made-dirs" ]] && xargs -r rm -rf <"$dir/made-dirs"
        [[ -f "$dir/sysctls.saved" ]] && { xargs -r sysctl -w <"$dir/sysctls.saved" >/dev/null 2>&1 || true; }
    fi
    rm -rf "$dir"
    log "node $NODE_NAME stopped; host restored"
}
