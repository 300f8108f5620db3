/**
 * A stage's image reference at base and head, and what its change is (pure): a promotion (the
 * digest the previous stage runs, docs/promotion.md), a rollback (a digest the stage deployed
 * before, from its stack file's history), a render placeholder (a stage that builds its image), or
 * a digest no stage vouches for.
 */
import type { KubernetesObject } from "../../k8s/kubernetesObject";
import { podContainers, podSpecOf } from "../../k8s/podContainers";
import { STAGES } from "../promotion/order";
import { objectLabel } from "./stageDiff";

/** A container's image at base and head. */
export interface ImageChange {
    object: string;
    container: string;
    before?: string;
    after?: string;
    /** One sentence: promotion, rollback, placeholder or unvouched digest. */
    kind: string;
    /** True when the digest comes from no earlier stage and no earlier deployment (a reviewer should ask where it was built). */
    unvouched: boolean;
}

/** `sha256:<hex>` of a digest-pinned reference, or undefined. */
export function digestOf(reference: string | undefined): string | undefined {
    return reference === undefined ? undefined : /@(sha256:[0-9a-f]{64})$/.exec(reference)?.[1];
}

/** Container name → image of every workload container of a stage's objects, keyed `object\0container`. */
export function stageImages(objects: KubernetesObject[]): Map<string, { object: string; container: string; image: string }> {
    const out = new Map<string, { object: string; container: string; image: string }>();
    for (const o of objects) {
        const spec = podSpecOf(o);
        if (!spec) continue;
        const object = objectLabel({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace });
        for (const c of podContainers(spec)) out.set(`${object}\0${c.container.name}`, { object, container: String(c.container.name), image: String(c.container.image ?? "") });
    }
    return out;
}

/** What the review knows around one stage's image change. */
export interface ImageContext {
    stage: string;
    /** The stage's render used a placeholder digest (it builds its image, or reads another stack's output). */
    placeholder: boolean;
    /** The other stages: their images at base and at head, and whether their render used a placeholder. */
    otherStages: Map<string, { base: string[]; head: string[]; placeholder: boolean }>;
    /** References this stage's stack file named in earlier commits (up to base), with the commit. */
    history: { ref: string; commit: string }[];
}

/**
 * Name a changed image, in this order: a placeholder; a promotion from the stage just before
 * (docs/promotion.md: dev → staging → prod); a rollback to a digest the stage deployed before; a
 * promotion that skipped a stage; a new digest after a building stage (which the render cannot
 * see, and `promote` checks against that stage's output); anything else is unvouched.
 */
export function classifyImage(after: string | undefined, context: ImageContext): Pick<ImageChange, "kind" | "unvouched"> {
    if (after === undefined) return { kind: "container removed", unvouched: false };
    if (context.placeholder) return { kind: "a render placeholder: this stage builds its image (or reads another stack's output), so the real digest is known only at `pulumi up`", unvouched: false };
    const digest = digestOf(after);
    if (digest === undefined) return { kind: "not pinned by digest", unvouched: true };
    const index = STAGES.indexOf(context.stage as (typeof STAGES)[number]);
    const runs = (stage: string) => {
        const images = context.otherStages.get(stage);
        if (!images || images.placeholder) return undefined;
        if (images.head.some((i) => digestOf(i) === digest)) return `the digest ${stage} runs at head`;
        if (images.base.some((i) => digestOf(i) === digest)) return `the digest ${stage} ran at base`;
        return undefined;
    };
    const previous = index > 0 ? STAGES[index - 1] : undefined;
    const fromPrevious = previous === undefined ? undefined : runs(previous);
    if (previous !== undefined && fromPrevious) return { kind: `promotion from ${previous} (${fromPrevious})`, unvouched: false };
    const deployed = context.history.find((h) => digestOf(h.ref) === digest);
    if (deployed) return { kind: `rollback to a digest this stage deployed before (its stack file at commit ${deployed.commit})`, unvouched: false };
    for (const stage of index > 1 ? STAGES.slice(0, index - 1).reverse() : []) {
        const from = runs(stage);
        if (from) return { kind: `promotion from ${stage}, skipping ${STAGES.slice(STAGES.indexOf(stage) + 1, index).join(", ")} (${from})`, unvouched: true };
    }
    if (previous !== undefined && context.otherStages.get(previous)?.placeholder) {
        return { kind: `a new digest: ${previous} builds its image, so no render shows its digest; \`promote --from ${previous}\` checks it against ${previous}'s stack output`, unvouched: true };
    }
    return { kind: "a digest no earlier stage runs and this stage never deployed: check where it was built and that it is attested (docs/promotion.md)", unvouched: true };
}

/** The image changes of one stage. */
export function imageChanges(base: KubernetesObject[], head: KubernetesObject[], context: ImageContext): ImageChange[] {
    const before = stageImages(base);
    const after = stageImages(head);
    const out: ImageChange[] = [];
    for (const key of new Set([...before.keys(), ...after.keys()])) {
        const b = before.get(key);
        const a = after.get(key);
        if (b?.image === a?.image) continue;
        const { object, container } = (a ?? b) as { object: string; container: string };
        out.push({ object, container, before: b?.image, after: a?.image, ...classifyImage(a?.image, context) });
    }
    return out;
}
