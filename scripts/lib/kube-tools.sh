# ensure_kube_tools: a local Kubernetes control plane's binaries, built from Go modules into
# git-ignored folders keyed by version and reused:
#   .tools/kubernetes-v<KUBE_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubectl}
#   .tools/kubernetes-node-v<KUBE_VERSION>/{kubelet,kube-proxy}   (the real node, scripts/lib/node.sh)
#   .tools/etcd-v<ETCD_VERSION>/etcd     (the etcd that release of Kubernetes requires)
#   .tools/kwok-<KWOK_VERSION>/kwok      (simulated nodes: no kubelet can run containers here)
#   .tools/kube-network-policies-<KUBE_NETWORK_POLICIES_VERSION>/kube-network-policies
#                                        (the node's NetworkPolicy engine, scripts/lib/netpol.sh)
# Exports KUBE_BIN, NODE_BIN, ETCD_BIN and KWOK_BIN (folders) and KUBE_VERSION. All builds run in parallel.
# Expects repo_root and the pins of scripts/lib/versions.sh, set before it is sourced, and
# scripts/lib/netpol.sh sourced before ensure_kube_tools runs.
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/kube-tools.sh}"
: "${KUBE_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${ETCD_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KWOK_VERSION:?is not set: source scripts/lib/versions.sh first}"

# build_kubernetes_commands OUT NAME CMD...: build k8s.io/kubernetes/cmd/<CMD> for each CMD into OUT,
# in a wrapper module of its own (.tools/build/NAME-v<KUBE_VERSION>).
build_kubernetes_commands() {
    local out="$1" name="$2" build="$repo_root/.tools/build/$2-v$KUBE_VERSION" mod cmd
    shift 2
    log "building $* v$KUBE_VERSION from k8s.io/kubernetes (many minutes on a cold machine)"
    rm -rf "$build" && mkdir -p "$build"
    mod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')"
    # k8s.io/kubernetes lists its staging modules as v0.0.0 replaced by ./staging folders that its
    # module zip does not carry: replace each with the published v0.<minor>.<patch>.
    {
        printf 'module ragstar.local/%s-build\n\ngo %s\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$name" "$(sed -n 's/^go //p' "$mod")" "$KUBE_VERSION"
        grep '=> ./staging' "$mod" | awk -v v="v0.${KUBE_VERSION#1.}" '{print "\t" $1 " => " $1 " " v}'
        printf ')\n'
    } >"$build/go.mod"
    {
        printf '//go:build tools\n\npackage tools\n\nimport (\n'
        for cmd in "$@"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$cmd"; done
        printf ')\n'
    } >"$build/tools.go"
    local minor="${KUBE_VERSION#1.}"
    minor="${minor%%.*}"
    local ldflags="-X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION"
    (
        cd "$build"
        GOFLAGS=-mod=mod go mod tidy
        for cmd in "$@"; do
            go build -ldflags "$ldflags" -o "$out/$cmd.partial" "k8s.io/kubernetes/cmd/$cmd" && mv "$out/$cmd.partial" "$out/$cmd" || exit 1
        done
    ) >&2 || die "building $* v$KUBE_VERSION failed"
}

build_etcd() {
    local out="$1" build="$repo_root/.tools/build/etcd-v$ETCD_VERSION"
    log "building etcd v$ETCD_VERSION from go.etcd.io/etcd/server/v3"
    rm -rf "$build" && mkdir -p "$build"
    # etcd's own main lives in the repository's root module; its server module exports the same entry point.
    printf 'module ragstar.local/etcd-build\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$build/go.mod"
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$build/main.go"
    (cd "$build" && GOFLAGS=-mod=mod go mod tidy && go build -o "$out/etcd.partial" . && mv "$out/etcd.partial" "$out/etcd") >&2 || die "building etcd v$ETCD_VERSION failed"
}

build_kwok() {
    local out="$1"
    log "building kwok $KWOK_VERSION from sigs.k8s.io/kwok"
    GOBIN="$out" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 || die "building kwok $KWOK_VERSION failed"
}

# kube_tool_paths: export the folders only (nothing is built), e.g. for a stop step.
kube_tool_paths() {
    export KUBE_VERSION KUBE_BIN="$repo_root/.tools/kubernetes-v$KUBE_VERSION" NODE_BIN="$repo_root/.tools/kubernetes-node-v$KUBE_VERSION" ETCD_BIN="$repo_root/.tools/etcd-v$ETCD_VERSION" KWOK_BIN="$repo_root/.tools/kwok-$KWOK_VERSION"
}

ensure_kube_tools() {
    command -v go >/dev/null || die "Go is needed to build the embedded control plane"
    kube_tool_paths
    mkdir -p "$KUBE_BIN" "$NODE_BIN" "$ETCD_BIN" "$KWOK_BIN"
    local pids=()
    [[ -x "$KUBE_BIN/kubectl" && -x "$KUBE_BIN/kube-apiserver" && -x "$KUBE_BIN/kube-controller-manager" && -x "$KUBE_BIN/kube-scheduler" ]] || { build_kubernetes_commands "$KUBE_BIN" kubernetes kube-apiserver kube-controller-manager kube-scheduler kubectl & pids+=($!); }
    [[ -x "$NODE_BIN/kubelet" && -x "$NODE_BIN/kube-proxy" ]] || { build_kubernetes_commands "$NODE_BIN" kubernetes-node kubelet kube-proxy & pids+=($!); }
    [[ -x "$ETCD_BIN/etcd" ]] || { build_etcd "$ETCD_BIN" & pids+=($!); }
    [[ -x "$KWOK_BIN/kwok" ]] || { build_kwok "$KWOK_BIN" & pids+=($!); }
    [[ -x "$(netpol_engine_dir)/kube-network-policies" ]] || { build_netpol_engine "$(netpol_engine_dir)" & pids+=($!); }
    for pid in "${pids[@]}"; do wait "$pid" || die "a control-plane build failed (see above)"; done
    log "control plane: Kubernetes v$KUBE_VERSION, etcd v$ETCD_VERSION, kwok $KWOK_VERSION; NetworkPolicy engine kube-network-policies $KUBE_NETWORK_POLICIES_VERSION"
}
