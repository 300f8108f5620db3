/**
 * The policy verdict at head against base (pure): the policy pack's rules (infra/review/rules.ts of
 * the checkout the command runs from, on both sides, so a difference comes from the objects, not from
 * the rules)
 * and the checkers' waivers, each split into what is new at head and what base already had.
 */
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { evaluatePolicy, type Violation } from "../../review/rules";
import { dockerfileWaivers } from "./dockerfileFacts";
import { objectLabel } from "./stageDiff";

/** Head's violations, split by whether base had the same one (rule, object and message). */
export interface PolicyVerdict {
    newViolations: Violation[];
    existingViolations: Violation[];
    /** Base's violations that head no longer has. */
    resolved: Violation[];
}

const violationKey = (v: Violation) => `${v.rule}\0${v.object}\0${v.message}`;

/** Compare the policy verdicts of a stage's objects at base and head. */
export function policyVerdict(base: KubernetesObject[], head: KubernetesObject[]): PolicyVerdict {
    const before = evaluatePolicy(base);
    const after = evaluatePolicy(head);
    const beforeKeys = new Set(before.map(violationKey));
    const afterKeys = new Set(after.map(violationKey));
    return {
        newViolations: after.filter((v) => !beforeKeys.has(violationKey(v))),
        existingViolations: after.filter((v) => beforeKeys.has(violationKey(v))),
        resolved: before.filter((v) => !afterKeys.has(violationKey(v))),
    };
}

/** One waiver of a checker's check: where it is written and why. */
export interface Waiver {
    checker: "kube-score" | "checkov" | "hadolint";
    check: string;
    /** `Dockerfile` or the object carrying the annotation, e.g. `Deployment ragstar/ragstar`. */
    where: string;
    reason?: string;
}

export const waiverKey = (w: Waiver) => `${w.checker}\0${w.check}\0${w.where}`;

/**
 * The reasons of `ragstar.dev/review-waivers` (infra/review/waivers.ts writes
 * `id[, id]: reason; id: reason`), by check id. A reason may itself hold "; ", so an entry starts
 * only where the ids and a colon follow.
 */
function reasonsOf(annotation: string | undefined): Map<string, string> {
    const reasons = new Map<string, string>();
    for (const entry of (annotation ?? "").split(/; (?=[A-Za-z0-9_-]+(?:, [A-Za-z0-9_-]+)*: )/)) {
        const match = /^([A-Za-z0-9_-]+(?:, [A-Za-z0-9_-]+)*): (.*)$/s.exec(entry);
        if (match) for (const id of match[1].split(", ")) reasons.set(id, match[2]);
    }
    return reasons;
}

/**
 * Every waiver: the annotations of the objects (`kube-score/ignore: a,b`, `checkov.io/skipN: ID=reason`,
 * reasons from `ragstar.dev/review-waivers`) and the Dockerfile's comments (dockerfileFacts.ts).
 */
export function waiversOf(objects: KubernetesObject[], dockerfile: string): Waiver[] {
    const out: Waiver[] = dockerfileWaivers(dockerfile).map((w) => ({ ...w, where: "Dockerfile" }));
    const annotationsOf = (o: KubernetesObject): Record<string, string> => ((o.metadata.annotations ?? {}) as Record<string, string>);
    const templateAnnotations = (o: KubernetesObject): Record<string, string> => (((o as { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }).spec?.template?.metadata?.annotations) ?? {});
    for (const object of objects) {
        const where = objectLabel({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace });
        for (const annotations of [annotationsOf(object), templateAnnotations(object)]) {
            const reasons = reasonsOf(annotations["ragstar.dev/review-waivers"]);
            for (const check of (annotations["kube-score/ignore"] ?? "").split(",").map((c) => c.trim()).filter(Boolean)) {
                out.push({ checker: "kube-score", check, where, ...(reasons.has(check) ? { reason: reasons.get(check) } : {}) });
            }
            for (const [key, value] of Object.entries(annotations)) {
                if (!/^checkov\.io\/skip\d+$/.test(key)) continue;
                const match = /^([A-Za-z0-9_]+)(?:=(.*))?$/s.exec(value);
                if (match) out.push({ checker: "checkov", check: match[1], where, ...(match[2] ? { reason: match[2] } : reasons.has(match[1]) ? { reason: reasons.get(match[1]) } : {}) });
            }
        }
    }
    return out;
}

/** Head's waivers that base did not have (same checker, check and place). */
export function newWaivers(base: Waiver[], head: Waiver[]): Waiver[] {
    const before = new Set(base.map(waiverKey));
    return head.filter((w) => !before.has(waiverKey(w)));
}
