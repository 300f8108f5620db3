# The node's NetworkPolicy engine: kube-network-policies, SIG Network's NetworkPolicy agent (an
# nftables table sends the first packet of each connection to or from a pod selected by a
# NetworkPolicy to an nfqueue, and the agent accepts or drops it), from the Go module
# sigs.k8s.io/kube-network-policies at KUBE_NETWORK_POLICIES_VERSION. It is built with the
# control plane, in one Go module (build_kube_family in scripts/lib/kube-tools.sh), into
# netpol_engine_dir, a folder keyed by version.
# Expects repo_root and KUBE_NETWORK_POLICIES_VERSION (scripts/lib/versions.sh), set before it is sourced.
# start_netpol / stop_netpol (below) run it for this checkout's node. Run-time facts (issue 13): it reads only the in-cluster config
# (token and CA under /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT);
# its nftables table name is fixed (inet kube-network-policies: two instances would flush each
# other's), and each instance needs its own --nfqueue-id (a second bind of a queue fails with
# "operation not permitted" and the agent keeps running without enforcing); on a kernel without
# CONFIG_NFT_QUEUE its table cannot be made ("netlink receive: no such file or directory").
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/netpol.sh}"
: "${KUBE_NETWORK_POLICIES_VERSION:?is not set: source scripts/lib/versions.sh first}"

# The ServiceAccount (namespace kube-system), ClusterRole and ClusterRoleBinding the engine runs as.
NETPOL_ACCOUNT=ragstar-netpol

netpol_engine_dir() { printf '%s/.tools/kube-network-policies-%s\n' "$repo_root" "$KUBE_NETWORK_POLICIES_VERSION"; }

# ---------------------------------------------------------------------------------------------
# Running the engine for this checkout's node (start_netpol after kube-proxy in start_node,
# stop_netpol before kube-proxy stops in stop_node), in the node's network namespace
# (scripts/lib/node.sh): its queue, its nftables table and the diversion below are the
# namespace's, so each checkout's node has its own engine. It reaches the API server through the
# namespace's loopback (scripts/node/loopback_forward.py).
#
# The diversion. The engine's own nftables table (its `queue` rules) cannot be made on a kernel
# without CONFIG_NFT_QUEUE, which this host's lacks: every sync logs `syncing nftables rules
# error=conn.Receive: netlink receive: no such file or directory`. The kernel does have the
# iptables NFQUEUE target (CONFIG_NETFILTER_XT_TARGET_NFQUEUE), so an iptables chain of ours,
# RGNP-<id> in the namespace's mangle table, sends the first packet of each connection (conntrack
# NEW) to or from the pod subnet to the engine's queue, which accepts or drops it:
#   POSTROUTING (after kube-proxy's DNAT, so a Service's backend pod is what is judged): pod to pod
#     (bridged: br_netfilter's bridge-nf-call-iptables is 1), pod to elsewhere (the host too);
#     not the host's own connections (source NODE_HOST_IP: the tests and the main job reaching a
#     pod or a Service, as node-to-local-pod traffic is allowed by Calico and Cilium by default),
#     not packets of sockets owned by root in the namespace (the kubelet's probes), not loopback.
#   INPUT, packets arriving on the node's bridge: pod to an address of the namespace (e.g. the
#     node IP), which never reaches POSTROUTING.
#
# Fail-closed: the queue rules carry no --queue-bypass and the engine runs without --fail-open,
# so while the diversion is in place and the engine is not reading its queue, new connections of
# pods are dropped. A NetworkPolicy promises isolation; with fail-open an engine that crashed
# would silently let everything through and the node would look enforced when it is not. An
# engine failure shows as timeouts instead (its log: netpol.log). start_netpol adds the diversion
# only once the engine holds its queue, and stop_netpol removes it before ending the engine, so
# an ordinary start or stop never drops a packet.
#
# Per clone (from node_names' NODE_ID): the queue number (NETPOL_QUEUE), the chain (RGNP-<id>),
# and under the node folder: netpol.pid, netpol.log and netpol-account/ (token, ca.crt,
# namespace).

# netpol_names: NETPOL_QUEUE (0..65535, from the first four hex digits of NODE_ID) and NETPOL_CHAIN.
netpol_names() {
    : "${NODE_ID:?is not set: node_names (scripts/lib/node.sh) first}"
    NETPOL_QUEUE=$((16#${NODE_ID:0:4}))
    NETPOL_CHAIN="RGNP-$NODE_ID"
}

netpol_running() { [[ -f "$(node_dir)/netpol.pid" ]] && kill -0 "$(cat "$(node_dir)/netpol.pid")" 2>/dev/null; }

# netpol_queue_bound Q: the kernel lists queue Q as bound by a reader (/proc/net/netfilter/nfnetlink_queue, first column).
# In the node's network namespace: queues are per namespace.
netpol_queue_bound() { node_ns awk -v q="$1" '$1 == q {found=1} END {exit !found}' /proc/net/netfilter/nfnetlink_queue 2>/dev/null; }

# netpol_account DIR: the engine's ServiceAccount and RBAC (read pods, namespaces, nodes and
# NetworkPolicies; write events) in the cluster, and its in-cluster files in DIR: a token (one
# year: the engine is restarted with the node, and a cluster is wiped long before), the cluster CA
# (from the kubeconfig) and the namespace. Prints the API server's host:port.
netpol_account() {
    local dir="$1" kubectl="$KUBE_BIN/kubectl" server ca
    "$kubectl" apply -f - >/dev/null <<YAML || die "creating the NetworkPolicy engine's ServiceAccount and RBAC failed"
apiVersion: v1
kind: ServiceAccount
metadata: {name: $NETPOL_ACCOUNT, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $NETPOL_ACCOUNT}
rules:
- {apiGroups: [""], resources: [pods, namespaces, nodes], verbs: [get, list, watch]}
- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [get, list, watch]}
- {apiGroups: ["", events.k8s.io], resources: [events], verbs: [create, patch, update]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $NETPOL_ACCOUNT}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $NETPOL_ACCOUNT}
subjects: [{kind: ServiceAccount, name: $NETPOL_ACCOUNT, namespace: kube-system}]
YAML
    rm -rf "$dir" && mkdir -p "$dir" && chmod 700 "$dir"
    (umask 077 && "$kubectl" -n kube-system create token "$NETPOL_ACCOUNT" --duration=8760h >"$dir/token") \
        || die "kubectl create token for the NetworkPolicy engine failed"
    echo kube-system >"$dir/namespace"
    ca="$("$kubectl" config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
    if [[ -n "$ca" ]]; then
        base64 -d <<<"$ca" >"$dir/ca.crt"
    else
        cp "$("$kubectl" config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')" "$dir/ca.crt"
    fi
    server="$("$kubectl" config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')"
    [[ "$server" =~ ^https://([^/:]+):([0-9]+)/?$ ]] || die "the kubeconfig's server $server is not https://HOST:PORT, which the engine's in-cluster config needs"
    printf '%s:%s\n' "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

# netpol_divert add|delete: the chain and its jumps (see the header); delete tolerates their absence.
netpol_divert() {
    local chain="$NETPOL_CHAIN" q="$NETPOL_QUEUE"
    if [[ "$1" == add ]]; then
        node_ns iptables -t mangle -N "$chain"
        node_ns iptables -t mangle -A "$chain" -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
        # The host's own connections (from NODE_HOST_IP, forwarded in): the tests and the main job.
        node_ns iptables -t mangle -A "$chain" -s "$NODE_HOST_IP" -j RETURN
        node_ns iptables -t mangle -A "$chain" -d "$NODE_SUBNET" -j NFQUEUE --queue-num "$q"
        node_ns iptables -t mangle -A "$chain" -s "$NODE_SUBNET" -j NFQUEUE --queue-num "$q"
        # Packets without a socket (forwarded ones) match `! --uid-owner 0` too.
        node_ns iptables -t mangle -I POSTROUTING 1 ! -o lo -m owner ! --uid-owner 0 -j "$chain"
        node_ns iptables -t mangle -I INPUT 1 -i "$NODE_BRIDGE" -j "$chain"
    else
        [[ -e "$NODE_NETNS" ]] && grep -q " $NODE_NETNS nsfs " /proc/mounts || return 0
        node_ns iptables -t mangle -D INPUT -i "$NODE_BRIDGE" -j "$chain" 2>/dev/null || true
        node_ns iptables -t mangle -D POSTROUTING ! -o lo -m owner ! --uid-owner 0 -j "$chain" 2>/dev/null || true
        node_ns iptables -t mangle -F "$chain" 2>/dev/null || true
        node_ns iptables -t mangle -X "$chain" 2>/dev/null || true
    fi
}

# start_netpol: run the engine for this node (NODE_NAME, NODE_SUBNET, NODE_BRIDGE, NODE_ID of
# node_names) with KUBE_BIN and KUBECONFIG, then divert the pods' traffic to it. Does nothing
# but export when it already runs. Exports RAGSTAR_NETPOL_PID (the tests check it runs).
# RAGSTAR_NETPOL_VERBOSITY: the engine's klog level (-v; 2 logs each packet's verdict), default 0.
# In its own mount namespace with a tmpfs over /run, where its in-cluster files go
# (/var/run is /run here): the host's /run and /var/run/secrets are never touched.
start_netpol() {
    local dir bin api started=$SECONDS
    dir="$(node_dir)"
    bin="$(netpol_engine_dir)/kube-network-policies"
    netpol_names
    if netpol_running; then
        RAGSTAR_NETPOL_PID="$(cat "$dir/netpol.pid")"
        export RAGSTAR_NETPOL_PID
        return
    fi
    [[ -x "$bin" ]] || die "the NetworkPolicy engine is not built ($bin): ensure_kube_tools builds it"
    command -v unshare >/dev/null || die "unshare (util-linux) is needed to run the NetworkPolicy engine in its own mount namespace"
    ! netpol_queue_bound "$NETPOL_QUEUE" || die "nfqueue $NETPOL_QUEUE of node $NODE_NAME is already bound by another process (/proc/net/netfilter/nfnetlink_queue); the engine could not read it"
    netpol_divert delete # a chain left by a killed run
    api="$(netpol_account "$dir/netpol-account")" || die "setting up the NetworkPolicy engine's account failed"
    # shellcheck disable=SC2016 # expanded by the inner bash: $1 the account folder, then the command
    KUBERNETES_SERVICE_HOST="${api%:*}" KUBERNETES_SERVICE_PORT="${api##*:}" \
        nsenter --net="$NODE_NETNS" unshare --mount --propagation private bash -c '
            mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount &&
            cp "$1"/* /run/secrets/kubernetes.io/serviceaccount/ && shift && exec "$@"' \
        netpol "$dir/netpol-account" "$bin" --hostname-override "$NODE_NAME" --nfqueue-id "$NETPOL_QUEUE" \
        --metrics-bind-address 127.0.0.1:0 --netfilter-bug-1766-fix=false -v "${RAGSTAR_NETPOL_VERBOSITY:-0}" >"$dir/netpol.log" 2>&1 &
    echo $! >"$dir/netpol.pid"
    if ! wait_until 30 "the NetworkPolicy engine's nfqueue $NETPOL_QUEUE" netpol_queue_bound "$NETPOL_QUEUE" || ! netpol_running; then
        tail -20 "$dir/netpol.log" >&2
        stop_netpol
        die "the NetworkPolicy engine did not start (log: $dir/netpol.log)"
    fi
    netpol_divert add || { stop_netpol; die "diverting node $NODE_NAME's pod traffic to nfqueue $NETPOL_QUEUE failed"; }
    RAGSTAR_NETPOL_PID="$(cat "$dir/netpol.pid")"
    export RAGSTAR_NETPOL_PID
    log "NetworkPolicy engine kube-network-policies $KUBE_NETWORK_POLICIES_VERSION enforcing on $NODE_NAME (nfqueue $NETPOL_QUEUE, chain $NETPOL_CHAIN) in $((SECONDS - started)) s"
}

# stop_netpol: remove the diversion, then end the engine (SIGINT, SIGKILL after 10 s), and its
# files; the ServiceAccount and RBAC go too when the API server still answers.
stop_netpol() {
    local dir pid
    dir="$(node_dir)"
    netpol_names
    netpol_divert delete
    if [[ -f "$dir/netpol.pid" ]]; then
        pid="$(cat "$dir/netpol.pid")"
        if kill -INT "$pid" 2>/dev/null; then
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$dir/netpol.pid"
    fi
    rm -rf "$dir/netpol-account"
    if [[ -n "${KUBE_BIN:-}" ]]; then
        "$KUBE_BIN/kubectl" --request-timeout=5s delete clusterrolebinding/"$NETPOL_ACCOUNT" clusterrole/"$NETPOL_ACCOUNT" --ignore-not-found >/dev/null 2>&1 || true
        "$KUBE_BIN/kubectl" --request-timeout=5s -n kube-system delete serviceaccount "$NETPOL_ACCOUNT" --ignore-not-found >/dev/null 2>&1 || true
    fi
    unset RAGSTAR_NETPOL_PID
}
