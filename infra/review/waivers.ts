/**
 * Review waivers: the checks of the field's checkers (kube-score, checkov) that this package's
 * defaults fail on purpose, written as annotations on the Deployment with their reasons, and
 * the UID threshold those checkers and the `high-uid` review rule (rules.ts) share.
 * docs/review.md lists each waiver and rule.
 */
import type { PlainStackConfig } from "../config/stackConfig";

/** UIDs below this clash with host users in the eyes of kube-score and checkov (CKV_K8S_40). */
export const HIGH_UID = 10000;

/**
 * Waivers for the field's checkers, as annotations on the Deployment, each with its reason
 * (listed in docs/review.md). Only what the configuration makes necessary: with
 * runAsUser ≥ HIGH_UID the UID waivers disappear.
 */
export function reviewWaivers(config: Pick<PlainStackConfig, "runAsUser" | "storage" | "database">): Record<string, string> {
    const kubeScore: string[] = [];
    const reasons: string[] = [];
    const annotations: Record<string, string> = {};
    kubeScore.push("container-image-pull-policy");
    reasons.push("container-image-pull-policy: the image is pinned by digest, which cannot change, so Always would only add registry round-trips");
    // Only the sqlite mode needs these: its one writer. The postgres mode runs replicas with RollingUpdate.
    if (config.database === "sqlite") {
        kubeScore.push("deployment-replicas", "deployment-strategy");
        reasons.push(`deployment-replicas, deployment-strategy: one SQLite writer on a ${config.storage.accessMode} volume, so one replica with the Recreate strategy`);
    } else {
        kubeScore.push("deployment-has-host-podantiaffinity");
        reasons.push("deployment-has-host-podantiaffinity: the replicas spread over nodes and zones with topologySpreadConstraints (maxSkew 1, ScheduleAnyway), which kube-score does not read; a podAntiAffinity beside them would say the same twice");
    }
    if (config.runAsUser < HIGH_UID) {
        kubeScore.push("container-security-context-user-group-id");
        annotations["checkov.io/skip1"] = `CKV_K8S_40=runAsUser ${config.runAsUser} is the image's numeric USER; set ragstar:runAsUser to ${HIGH_UID} or more to clear this check`;
        reasons.push(`container-security-context-user-group-id, CKV_K8S_40: runAsUser ${config.runAsUser} is below ${HIGH_UID}, the package's default; configurable with ragstar:runAsUser`);
    }
    return { ...annotations, "kube-score/ignore": kubeScore.join(","), "ragstar.dev/review-waivers": reasons.join("; ") };
}
