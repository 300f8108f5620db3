# start_control_plane: an embedded Kubernetes control plane on loopback, for the tests and the
# main job: etcd, kube-apiserver (TLS certificates generated here; admission plugins at their
# defaults, which include PodSecurity; privileged pods allowed by the server, as in kubeadm
# clusters, so Pod Security admission is what refuses them), kube-controller-manager, kube-scheduler, and kwok with
# one simulated node. Writes a kubeconfig and waits for /readyz. Ports are per clone (cp_ports), so
# two checkouts' control planes run side by side and each stop step ends only its own. State, certificates and logs
# live in .cache/control-plane/ (git-ignored). Exports KUBECONFIG. stop_control_plane ends it.
# Expects cache_dir (from ensure_cache_dir in scripts/lib/log.sh) and KWOK_VERSION (from
# scripts/lib/versions.sh), set before it is sourced; start_control_plane also needs KUBE_BIN,
# ETCD_BIN and KWOK_BIN (from ensure_kube_tools in scripts/lib/kube-tools.sh).
: "${cache_dir:?is not set: the entry script sets it (ensure_cache_dir) before sourcing scripts/lib/control-plane.sh}"
: "${KWOK_VERSION:?is not set: source scripts/lib/versions.sh first}"

cp_dir() { echo "$cache_dir/control-plane"; }

# cp_service_cidr: this clone's Service range, 10.96.<clone_index>.0/24. Per clone because the
# host routes it to this clone's node (scripts/lib/node.sh); cp_service_ip: its first address,
# the `kubernetes` Service's.
cp_service_cidr() { printf '10.96.%s.0/24\n' "$(clone_index)"; }
cp_service_ip() { printf '10.96.%s.1\n' "$(clone_index)"; }

# free_loopback_ports N: N TCP ports free on 127.0.0.1 now, one per line (the kernel picks them:
# listen on port 0, read the port, close).
free_loopback_ports() {
    node -e '
        const net = require("node:net");
        const servers = Array.from({ length: Number(process.argv[1]) }, () => net.createServer().listen(0, "127.0.0.1"));
        Promise.all(servers.map((s) => new Promise((ok) => s.on("listening", ok)))).then(() => {
            for (const s of servers) console.log(s.address().port);
            for (const s of servers) s.close();
        });' "$1"
}

# cp_ports: this clone's ports, CP_APISERVER_PORT, CP_ETCD_PORT and CP_ETCD_PEER_PORT. A running
# control plane is found through this clone's kubeconfig and keeps its ports; a new one gets free
# ports (RAGSTAR_APISERVER_PORT and RAGSTAR_ETCD_PORT override), recorded in .cache/control-plane/ports.
cp_ports() {
    local dir ports
    dir="$(cp_dir)"
    if [[ -f "$dir/kubeconfig" ]] && control_plane_ready; then
        CP_APISERVER_PORT="$(sed -n 's#^ *server: https://127.0.0.1:\([0-9]*\)$#\1#p' "$dir/kubeconfig")"
        if [[ -f "$dir/ports" ]]; then
            # shellcheck source=/dev/null
            source "$dir/ports"
        fi
        return
    fi
    mapfile -t ports < <(free_loopback_ports 3)
    [[ ${#ports[@]} == 3 ]] || die "could not find free loopback ports for the control plane"
    CP_APISERVER_PORT="${RAGSTAR_APISERVER_PORT:-${ports[0]}}"
    CP_ETCD_PORT="${RAGSTAR_ETCD_PORT:-${ports[1]}}"
    CP_ETCD_PEER_PORT="${ports[2]}"
    printf 'CP_APISERVER_PORT=%s\nCP_ETCD_PORT=%s\nCP_ETCD_PEER_PORT=%s\n' "$CP_APISERVER_PORT" "$CP_ETCD_PORT" "$CP_ETCD_PEER_PORT" >"$dir/ports"
    cp_kubeconfig "$dir"
}

cp_start_process() { # NAME COMMAND...: start in the background, log and pid under the control-plane folder
    local name="$1" dir
    dir="$(cp_dir)"
    shift
    nohup "$@" >"$dir/$name.log" 2>&1 &
    echo $! >"$dir/$name.pid"
}

cp_certificates() {
    local dir="$1"
    [[ -f "$dir/pki/admin.crt" ]] && return
    mkdir -p "$dir/pki"
    (
        cd "$dir/pki"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=ragstar-test-ca" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,IP:%s,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' "$(cp_service_ip)" >apiserver.ext
        openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
        # The test's administrator: group system:masters.
        openssl req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=ragstar-admin" 2>/dev/null
        openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out admin.crt -days 3650 2>/dev/null
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    ) || die "generating the control plane's certificates failed"
}

cp_kubeconfig() {
    local dir="$1"
    cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: ragstar-embedded
    cluster:
      server: https://127.0.0.1:$CP_APISERVER_PORT
      certificate-authority: $dir/pki/ca.crt
users:
  - name: ragstar-admin
    user:
      client-certificate: $dir/pki/admin.crt
      client-key: $dir/pki/admin.key
contexts:
  - name: ragstar-embedded
    context: {cluster: ragstar-embedded, user: ragstar-admin}
current-context: ragstar-embedded
KUBECONFIG
}

control_plane_ready() {
    "$KUBE_BIN/kubectl" --kubeconfig "$(cp_dir)/kubeconfig" get --raw /readyz >/dev/null 2>&1
}

start_control_plane() {
    local dir
    dir="$(cp_dir)"
    mkdir -p "$dir"
    cp_certificates "$dir"
    export KUBECONFIG="$dir/kubeconfig"
    cp_ports
    CP_STARTED_HERE=0
    if control_plane_ready; then
        log "control plane: already running (https://127.0.0.1:$CP_APISERVER_PORT)"
        return
    fi
    # shellcheck disable=SC2034 # read by scripts/with-cluster
    CP_STARTED_HERE=1
    local started=$SECONDS
    cp_start_process etcd "$ETCD_BIN/etcd" --data-dir "$dir/etcd" --listen-client-urls "http://127.0.0.1:$CP_ETCD_PORT" \
        --advertise-client-urls "http://127.0.0.1:$CP_ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$CP_ETCD_PEER_PORT" \
        --initial-advertise-peer-urls "http://127.0.0.1:$CP_ETCD_PEER_PORT" --initial-cluster "default=http://127.0.0.1:$CP_ETCD_PEER_PORT"
    cp_start_process kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$CP_ETCD_PORT" \
        --bind-address 127.0.0.1 --secure-port "$CP_APISERVER_PORT" --advertise-address 127.0.0.1 \
        --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" --client-ca-file "$dir/pki/ca.crt" \
        --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc --service-cluster-ip-range "$(cp_service_cidr)" \
        --authorization-mode Node,RBAC --allow-privileged=true --endpoint-reconciler-type none \
        --kubelet-client-certificate "$dir/pki/admin.crt" --kubelet-client-key "$dir/pki/admin.key" --kubelet-preferred-address-types InternalIP
    wait_until 120 "kube-apiserver" control_plane_ready || { tail -30 "$dir/kube-apiserver.log" >&2; die "kube-apiserver did not become ready"; }
    cp_start_process kube-controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig "$KUBECONFIG" --leader-elect=false \
        --root-ca-file "$dir/pki/ca.crt" --service-account-private-key-file "$dir/pki/sa.key" --use-service-account-credentials=false \
        --cluster-signing-cert-file "$dir/pki/ca.crt" --cluster-signing-key-file "$dir/pki/ca.key" --bind-address 127.0.0.1 --secure-port 0 \
        --controllers '*,-nodelifecycle' # kwok plays the kubelet; no node-lifecycle taints for a simulated node
    cp_start_process kube-scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig "$KUBECONFIG" --leader-elect=false --bind-address 127.0.0.1 --secure-port 0
    # kwok's own "fast" stages (node ready at once, heartbeats with leases, pods ready at once), from its module.
    local kwok_dir stage_args=()
    kwok_dir="$(go_module_file Dir "sigs.k8s.io/kwok@$KWOK_VERSION")" || die "go mod download sigs.k8s.io/kwok@$KWOK_VERSION (its stage files) failed"
    for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
        stage_args+=(--config "$kwok_dir/kustomize/stage/$stage.yaml")
    done
    cp_start_process kwok "$KWOK_BIN/kwok" --kubeconfig "$KUBECONFIG" --manage-all-nodes=false \
        --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake --server-address "127.0.0.1:0" "${stage_args[@]}"
    # One simulated node; kwok marks it Ready and plays the kubelet for pods bound to it.
    "$KUBE_BIN/kubectl" apply -f - >/dev/null <<NODE || die "creating the kwok node failed"
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
# kwok's own convention: only pods that tolerate this taint (and select type=kwok) land on a
# simulated node, so the stacks' pods run on the real node (scripts/lib/node.sh).
spec: {taints: [{key: kwok.x-k8s.io/node, value: fake, effect: NoSchedule}]}
status:
  allocatable: {cpu: "32", memory: 256Gi, ephemeral-storage: 1Ti, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, ephemeral-storage: 1Ti, pods: "110"}
NODE
    wait_until 60 "simulated node" "$KUBE_BIN/kubectl" wait --for=condition=Ready node/kwok-node-0 --timeout=1s \
        || { tail -20 "$dir/kwok.log" >&2; die "the kwok node did not become Ready"; }
    # The TaintNodesByCondition admission plugin gives a new node the not-ready taint, which the
    # (disabled) node-lifecycle controller would lift once the node is Ready: lift it here.
    "$KUBE_BIN/kubectl" taint node kwok-node-0 node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
    log "control plane started in $((SECONDS - started)) s (kubeconfig: $KUBECONFIG)"
}

stop_control_plane() {
    local dir name pid
    dir="$(cp_dir)"
    for name in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
        [[ -f "$dir/$name.pid" ]] || continue
        pid="$(cat "$dir/$name.pid")"
        kill "$pid" 2>/dev/null && for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$dir/$name.pid"
    done
    rm -rf "$dir/etcd" "$dir/ports"
    log "control plane stopped"
}
