/**
 * What a review found, stage by stage (pure): the objects' changes split into what the reviewer must
 * see first (securityContext weakenings, the image, the derived probes) and the rest; the policy
 * verdict and new waivers; the exit status. Built from two renders by `reviewRenders`; printed by
 * report.ts.
 */
import { parse } from "yaml";

import { CONFIG_NAMESPACE } from "../../config/stackConfig";
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { STAGES } from "../promotion/order";
import type { FieldChange } from "./fieldDiff";
import { healthcheckLines, type HealthcheckLine } from "./dockerfileFacts";
import { imageChanges, stageImages, type ImageChange } from "./imageChange";
import { newWaivers, policyVerdict, waiversOf, type PolicyVerdict, type Waiver } from "./policyDiff";
import type { StackRender, TreeRender } from "./reviewTree";
import { securityWeakenings, type Weakening } from "./securityWeakening";
import { diffStage, objectLabel, type ObjectChange } from "./stageDiff";

/** A field of one object, for the probe list. */
export interface ObjectField extends FieldChange {
    object: string;
}

/** One stage's review. */
export interface StageReview {
    stage: string;
    /** `added`: only head has the stack file; `removed`: only base has it. */
    presence: "both" | "added" | "removed";
    baseError?: string;
    headError?: string;
    weakenings: Weakening[];
    images: ImageChange[];
    probes: ObjectField[];
    /** The stage's `ragstar:probes` differs between base and head (a "why" of a probe change). */
    probeConfigChanged: boolean;
    /** Object changes; a changed object's fields exclude those listed under images and probes. */
    objects: ObjectChange[];
    /** The policy verdict at head (absent when head does not render). */
    policy?: PolicyVerdict;
    newWaivers: Waiver[];
}

/** A whole review. */
export interface Review {
    stages: StageReview[];
    /** HEALTHCHECK instructions at base and head, when they differ. */
    healthcheck?: { before: HealthcheckLine[]; after: HealthcheckLine[] };
    /** Dockerfile waivers new at head (the stages' lists hold the objects' waivers). */
    dockerfileWaivers: Waiver[];
}

const PROBE_FIELD = /\.(livenessProbe|readinessProbe|startupProbe)(\.|\[|$)/;
const IMAGE_FIELD = /\.(initContainers|containers|ephemeralContainers)\[[^\]]+\]\.image$/;

/**
 * The probe fields of the stage's changed objects, and the changes without the probe and image
 * fields and without the weakened fields (each is listed once, in its own section).
 */
function splitFields(changes: ObjectChange[], weakenings: Weakening[]): { probes: ObjectField[]; objects: ObjectChange[] } {
    const weakened = new Set(weakenings.map((w) => `${w.object}\0${w.path}`));
    const probes: ObjectField[] = [];
    const objects: ObjectChange[] = [];
    for (const change of changes) {
        if (change.status !== "changed") {
            objects.push(change);
            continue;
        }
        const label = objectLabel(change);
        probes.push(...change.fields.filter((f) => PROBE_FIELD.test(f.path)).map((f) => ({ ...f, object: label })));
        const rest = change.fields.filter((f) => !PROBE_FIELD.test(f.path) && !IMAGE_FIELD.test(f.path) && !weakened.has(`${label}\0${f.path}`));
        if (rest.length > 0) objects.push({ ...change, fields: rest });
    }
    return { probes, objects };
}

/** A stack file's `ragstar:probes` value (undefined when unset or unreadable). */
function probeConfig(text: string | undefined): unknown {
    if (text === undefined) return undefined;
    try {
        return (parse(text) as { config?: Record<string, unknown> } | null)?.config?.[`${CONFIG_NAMESPACE}:probes`];
    } catch {
        return undefined;
    }
}

/** Whether any container's image differs between the two sides. */
function imagesDiffer(base: KubernetesObject[], head: KubernetesObject[]): boolean {
    const before = stageImages(base);
    const after = stageImages(head);
    return before.size !== after.size || [...after].some(([key, image]) => before.get(key)?.image !== image.image);
}

const objectsOf = (render: StackRender | undefined): KubernetesObject[] | undefined => (render && "objects" in render ? render.objects : undefined);

/**
 * Compare two renders.
 *
 * @param history per stage, the references its stack file named in commits up to base (for rollbacks)
 */
export function reviewRenders(base: TreeRender, head: TreeRender, history: (stage: string) => { ref: string; commit: string }[]): Review {
    // Promotion order first (dev, staging, prod), then any other stack by name.
    const rank = (s: string) => (STAGES.includes(s as (typeof STAGES)[number]) ? STAGES.indexOf(s as (typeof STAGES)[number]) : STAGES.length);
    const stages = [...new Set([...base.stacks.keys(), ...head.stacks.keys()])].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const imagesAt = (tree: TreeRender, stage: string) => [...stageImages(objectsOf(tree.stacks.get(stage)) ?? []).values()].map((i) => i.image);
    const placeholderAt = (s: string) => [base, head].some((tree) => {
        const render = tree.stacks.get(s);
        return render !== undefined && "placeholder" in render && render.placeholder;
    });
    const otherStages = new Map(stages.map((s) => [s, { base: imagesAt(base, s), head: imagesAt(head, s), placeholder: placeholderAt(s) }]));
    const reviews = stages.map((stage): StageReview => {
        const b = base.stacks.get(stage);
        const h = head.stacks.get(stage);
        const presence = b === undefined ? "added" : h === undefined ? "removed" : "both";
        const baseObjects = objectsOf(b) ?? [];
        const headObjects = objectsOf(h);
        const probeConfigChanged = JSON.stringify(probeConfig(base.stackFiles.get(stage))) !== JSON.stringify(probeConfig(head.stackFiles.get(stage)));
        const review: StageReview = { stage, presence, weakenings: [], images: [], probes: [], probeConfigChanged, objects: [], newWaivers: [] };
        if (b && "error" in b) review.baseError = b.error;
        if (h && "error" in h) review.headError = h.error;
        if (headObjects === undefined) {
            // A removed stage: what its objects were (head's render error is reported as such).
            if (presence === "removed") review.objects = diffStage(baseObjects, []);
            return review;
        }
        if (b && "error" in b) {
            // No base to compare with: head's objects as they are, and every violation counted as new.
            return { ...review, objects: diffStage([], headObjects), policy: policyVerdict([], headObjects) };
        }
        const others = new Map([...otherStages].filter(([s]) => s !== stage));
        const weakenings = securityWeakenings(baseObjects, headObjects);
        const { probes, objects } = splitFields(diffStage(baseObjects, headObjects), weakenings);
        return {
            ...review,
            weakenings,
            // The stack file's history costs a git call per version: read only when an image changed.
            images: imageChanges(baseObjects, headObjects, { stage, placeholder: h !== undefined && "placeholder" in h && h.placeholder, otherStages: others, history: presence === "both" && imagesDiffer(baseObjects, headObjects) ? history(stage) : [] }),
            probes,
            objects,
            policy: policyVerdict(baseObjects, headObjects),
            newWaivers: newWaivers(waiversOf(baseObjects, ""), waiversOf(headObjects, "")),
        };
    });
    const before = healthcheckLines(base.dockerfile);
    const after = healthcheckLines(head.dockerfile);
    const healthcheckChanged = JSON.stringify(before.map((l) => l.text)) !== JSON.stringify(after.map((l) => l.text));
    return {
        stages: reviews,
        ...(healthcheckChanged ? { healthcheck: { before, after } } : {}),
        dockerfileWaivers: newWaivers(waiversOf([], base.dockerfile), waiversOf([], head.dockerfile)),
    };
}

/**
 * The review's exit status: 1 when head is less safe (a securityContext field weakened, a mandatory
 * policy rule fails at head, new or not) or a stage does not render at head; else 0.
 */
export function reviewStatus(review: Review): 0 | 1 {
    const lessSafe = review.stages.some((s) => s.weakenings.length > 0 || s.headError !== undefined || [...(s.policy?.newViolations ?? []), ...(s.policy?.existingViolations ?? [])].some((v) => v.enforcement === "mandatory"));
    return lessSafe ? 1 : 0;
}
