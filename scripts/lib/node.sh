# A real node beside the embedded control plane (issue 13, prototype): kubelet and kube-proxy at
# the control plane's Kubernetes version, a containerd of our own (CRI on, its own root, state and
# socket), Debian's runc and CNI plugins with a bridge of our own, and a sandbox image built here.
# Expects repo_root, cache_dir, KUBE_VERSION and KUBE_BIN (scripts/lib/kube-tools.sh), and log/die.
: "${repo_root:?}" "${cache_dir:?}" "${KUBE_VERSION:?}"

node_id() { printf '%s' "$repo_root" | sha256sum | cut -c1-6; }
node_dir() { printf '%s/node' "$cache_dir"; }

build_node_binaries() {
    local out="$1" build="$repo_root/.tools/build/kubernetes-node-v$KUBE_VERSION" mod
    log "building kubelet and kube-proxy v$KUBE_VERSION from k8s.io/kubernetes"
    rm -rf "$build" && mkdir -p "$build"
    mod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')"
    {
        printf 'module ragstar.local/kubernetes-node-build\n\ngo %s\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$(sed -n 's/^go //p' "$mod")" "$KUBE_VERSION"
        grep '=> ./staging' "$mod" | awk -v v="v0.${KUBE_VERSION#1.}" '{print "\t" $1 " => " $1 " " v}'
        printf ')\n'
    } >"$build/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n\t_ "k8s.io/kubernetes/cmd/kube-proxy"\n)\n' >"$build/tools.go"
    local minor="${KUBE_VERSION#1.}"
    minor="${minor%%.*}"
    local ldflags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    (
        cd "$build"
        GOFLAGS=-mod=mod go mod tidy
        for cmd in kubelet kube-proxy; do
            go build -ldflags "$ldflags" -o "$out/$cmd.partial" "k8s.io/kubernetes/cmd/$cmd" && mv "$out/$cmd.partial" "$out/$cmd" || exit 1
        done
    ) >&2 || die "building kubelet and kube-proxy v$KUBE_VERSION failed"
}

ensure_node_tools() {
    export NODE_BIN="$repo_root/.tools/kubernetes-node-v$KUBE_VERSION"
    mkdir -p "$NODE_BIN"
    [[ -x "$NODE_BIN/kubelet" && -x "$NODE_BIN/kube-proxy" ]] || build_node_binaries "$NODE_BIN"
    [[ -x /usr/lib/cni/bridge ]] || apt_install containernetworking-plugins
    command -v containerd >/dev/null && command -v runc >/dev/null || apt_install containerd runc
}

# --- prototype start/stop, as run by hand on 2026-12-01 (see the issue 13 note) -------------
# One clone's node: its own containerd socket/root/state under .cache/node, bridge, subnet and
# cgroup parent, derived from a hash of repo_root. NOT yet isolated: kube-proxy's iptables chains
# and the kubelet's port 10250 are host-wide (see the note: a network namespace per node is next).
node_names() {
    local id n
    id="$(node_id)"
    n=$((16#${id:0:2}))
    NODE_NAME="ragstar-node-$id"
    NODE_BRIDGE="rgn$id"
    NODE_SUBNET="10.244.$n.0/24"
    NODE_IP="10.244.$n.1"
    NODE_CGROUP="ragstar-$id"
}

# The sysctls the kubelet sets (vm.overcommit_memory, kernel.panic, kernel.panic_on_oops), saved
# before it starts so stop_node can put them back.
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)

start_node() {
    local dir
    dir="$(node_dir)"
    node_names
    mkdir -p "$dir"/{cni/net.d,containerd-root,containerd-state,kubelet-root,pause}
    [[ -f "$dir/sysctls.saved" ]] || sysctl "${NODE_SYSCTLS[@]}" >"$dir/sysctls.saved"
    # containerd's CNI result cache is host-wide (/var/lib/cni/results): remove it at stop only if we made it.
    [[ -e /var/lib/cni ]] || touch "$dir/made-var-lib-cni"
    # cgroup v1: the kubelet's cgroupRoot must exist in every hierarchy; cpuset needs cpus and mems.
    local c
    for c in /sys/fs/cgroup/*/; do mkdir -p "$c$NODE_CGROUP"; done
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$NODE_CGROUP/cpuset.mems"
    # The bridge exists before the kubelet starts: its address is the node IP (the kubelet refuses loopback).
    ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
    ip addr replace "$NODE_IP/24" dev "$NODE_BRIDGE"
    ip link set "$NODE_BRIDGE" up
    cat >"$dir/cni/net.d/10-ragstar.conflist" <<CNI
{"cniVersion": "1.0.0", "name": "ragstar-$NODE_NAME", "plugins": [
  {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_SUBNET", "gateway": "$NODE_IP"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$dir/cni/ipam"}},
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
  sandbox_image = "ragstar.local/pause:1"
  # No CAP_SYS_RESOURCE here: runc could not set the sandbox's negative OOM score.
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/containerd-opt"
TOML
    containerd --config "$dir/containerd.toml" >"$dir/containerd.log" 2>&1 &
    echo $! >"$dir/containerd.pid"
    wait_until 30 "containerd" ctr --address "$dir/containerd.sock" version || die "containerd did not start (see $dir/containerd.log)"
    # The sandbox image: built here (scripts/node/pause), imported, never pulled.
    (cd "$repo_root/scripts/node/pause" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$dir/pause/pause" .) >&2 || die "building the pause binary failed"
    cp "$repo_root/scripts/node/pause/Dockerfile" "$dir/pause/"
    docker build -q -t ragstar.local/pause:1 "$dir/pause" >/dev/null && docker save ragstar.local/pause:1 -o "$dir/pause.tar" \
        && ctr --address "$dir/containerd.sock" -n k8s.io images import "$dir/pause.tar" >/dev/null || die "importing the sandbox image failed"
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
address: $NODE_IP
readOnlyPort: 0
healthzPort: 0
failSwapOn: false
makeIPTablesUtilChains: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
podLogsDir: $dir/pod-logs       # not /var/log/pods
KUBELET
    "$NODE_BIN/kubelet" --config "$dir/kubelet.yaml" --kubeconfig "$(cp_dir)/kubeconfig" --root-dir "$dir/kubelet-root" \
        --cert-dir "$dir/kubelet-pki" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" \
        --node-labels "ragstar.dev/node=real" >"$dir/kubelet.log" 2>&1 &
    echo $! >"$dir/kubelet.pid"
    wait_until 60 "node $NODE_NAME" "$KUBE_BIN/kubectl" wait --for=condition=Ready "node/$NODE_NAME" --timeout=1s || die "the node did not become Ready (see $dir/kubelet.log)"
    # The node-lifecycle controller is off (kwok): lift the not-ready taint the admission plugin set.
    "$KUBE_BIN/kubectl" taint node "$NODE_NAME" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
}

stop_node() {
    local dir pid name
    dir="$(node_dir)"
    node_names
    [[ -d "$dir" ]] || return 0
    # Order: pods (through the API, so the kubelet tears down their networks), kube-proxy, kubelet, containerd.
    "$KUBE_BIN/kubectl" delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" --wait=true --timeout=60s >/dev/null 2>&1 || true
    for name in kube-proxy kubelet containerd; do
        [[ -f "$dir/$name.pid" ]] || continue
        pid="$(cat "$dir/$name.pid")"
        kill "$pid" 2>/dev/null && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$dir/$name.pid"
        if [[ "$name" == kube-proxy ]]; then "$NODE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
    done
    # What the kubelet leaves behind: mounts under its root, network namespaces, KUBE-FIREWALL, cgroups, sysctls.
    { grep -o " $dir[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    local t
    for t in iptables ip6tables; do
        "$t" -D INPUT -j KUBE-FIREWALL 2>/dev/null || true
        "$t" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null || true
        "$t" -F KUBE-FIREWALL 2>/dev/null || true
        "$t" -X KUBE-FIREWALL 2>/dev/null || true
    done
    local c
    for c in /sys/fs/cgroup/*/"$NODE_CGROUP"; do [[ -d "$c" ]] && { find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true; }; done
    ip link del "$NODE_BRIDGE" 2>/dev/null || true
    if [[ -f "$dir/made-var-lib-cni" ]]; then rm -rf /var/lib/cni "$dir/made-var-lib-cni"; fi
    if [[ -f "$dir/sysctls.saved" ]]; then sed 's/ //g' "$dir/sysctls.saved" | xargs sysctl -w >/dev/null && rm -f "$dir/sysctls.saved"; fi
    log "node $NODE_NAME stopped"
}
