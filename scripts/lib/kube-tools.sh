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
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/kube-tools.sh}"
: "${KUBE_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${ETCD_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KWOK_VERSION:?is not set: source scripts/lib/versions.sh first}"

# build_kubernetes_commands CMD:OUT...: build k8s.io/kubernetes/cmd/<CMD> into the folder OUT for each
# pair, all in one wrapper module (.tools/build/kubernetes-v<KUBE_VERSION>) and one `go build`: the
# control plane and the node share about 1,600 of the node's 1,750 packages, and one build compiles
# each of them once (two parallel builds compiled them twice on a cold machine).
build_kubernetes_commands() {
    local build="$repo_root/.tools/build/kubernetes-v$KUBE_VERSION" mod pair cmds=() pkgs=() t0=$SECONDS
    for pair in "$@"; do cmds+=("${pair%%:*}") && pkgs+=("k8s.io/kubernetes/cmd/${pair%%:*}"); done
    log "building ${cmds[*]} v$KUBE_VERSION from k8s.io/kubernetes (many minutes on a cold machine)"
    rm -rf "$build" && mkdir -p "$build/bin"
    mod="$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')"
    # k8s.io/kubernetes lists its staging modules as v0.0.0 replaced by ./staging folders that its
    # module zip does not carry: replace each with the published v0.<minor>.<patch>.
    {
        printf 'module ragstar.local/kubernetes-build\n\ngo %s\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$(sed -n 's/^go //p' "$mod")" "$KUBE_VERSION"
        grep '=> ./staging' "$mod" | awk -v v="v0.${KUBE_VERSION#1.}" '{print "\t" $1 " => " $1 " " v}'
        printf ')\n'
    } >"$build/go.mod"
    {
        printf '//go:build tools\n\npackage tools\n\nimport (\n'
        printf '\t_ "%s"\n' "${pkgs[@]}"
        printf ')\n'
    } >"$build/tools.go"
    local minor="${KUBE_VERSION#1.}"
    minor="${minor%%.*}"
    local ldflags="$GO_LDFLAGS_STRIP -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
    ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION"
    (
        cd "$build"
        GOFLAGS=-mod=mod go mod tidy
        go build -ldflags "$ldflags" -o "$build/bin/" "${pkgs[@]}"
    ) >&2 || die "building ${cmds[*]} v$KUBE_VERSION failed"
    # Each binary moves into place whole, so a cached folder never holds a half-written one.
    for pair in "$@"; do mv "$build/bin/${pair%%:*}" "${pair#*:}/${pair%%:*}"; done
    log "built ${cmds[*]} v$KUBE_VERSION in $((SECONDS - t0)) s"
}

build_etcd() {
    local out="$1" build="$repo_root/.tools/build/etcd-v$ETCD_VERSION" t0=$SECONDS
    log "building etcd v$ETCD_VERSION from go.etcd.io/etcd/server/v3"
    rm -rf "$build" && mkdir -p "$build"
    # etcd's own main lives in the repository's root module; its server module exports the same entry point.
    printf 'module ragstar.local/etcd-build\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$build/go.mod"
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$build/main.go"
    (cd "$build" && GOFLAGS=-mod=mod go mod tidy && go build -ldflags "$GO_LDFLAGS_STRIP" -o "$out/etcd.partial" . && mv "$out/etcd.partial" "$out/etcd") >&2 || die "building etcd v$ETCD_VERSION failed"
    log "built etcd v$ETCD_VERSION in $((SECONDS - t0)) s"
}

build_kwok() {
    local out="$1" t0=$SECONDS
    log "building kwok $KWOK_VERSION from sigs.k8s.io/kwok"
    GOBIN="$out" go install -ldflags "$GO_LDFLAGS_STRIP" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2 || die "building kwok $KWOK_VERSION failed"
    log "built kwok $KWOK_VERSION in $((SECONDS - t0)) s"
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
    local missing=() cmd
    for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do [[ -x "$KUBE_BIN/$cmd" ]] || missing+=("$cmd:$KUBE_BIN"); done
    for cmd in kubelet kube-proxy; do [[ -x "$NODE_BIN/$cmd" ]] || missing+=("$cmd:$NODE_BIN"); done
    ((${#missing[@]} == 0)) || { build_kubernetes_commands "${missing[@]}" & pids+=($!); }
    [[ -x "$ETCD_BIN/etcd" ]] || { build_etcd "$ETCD_BIN" & pids+=($!); }
    [[ -x "$KWOK_BIN/kwok" ]] || { build_kwok "$KWOK_BIN" & pids+=($!); }
    [[ -x "$(netpol_engine_dir)/kube-network-policies" ]] || { build_netpol_engine "$(netpol_engine_dir)" & pids+=($!); }
    for pid in "${pids[@]}"; do wait "$pid" || die "a control-plane build failed (see above)"; done
    log "control plane: Kubernetes v$KUBE_VERSION, etcd v$ETCD_VERSION, kwok $KWOK_VERSION; NetworkPolicy engine kube-network-policies $KUBE_NETWORK_POLICIES_VERSION"
}
