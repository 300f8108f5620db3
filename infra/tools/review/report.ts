/**
 * The review as Markdown (pure), the text a pull-request comment carries: a verdict line, a table of
 * stages, then per stage what got less safe first, the image, the derived probes, the other object
 * changes and the policy verdict; then the checkers' new findings. docs/review.md shows one and
 * explains how to read it.
 */
import type { Violation } from "../../review/rules";
import { formatValue, lineDiff, type FieldChange } from "./fieldDiff";
import type { Waiver } from "./policyDiff";
import { reviewStatus, type Review, type StageReview } from "./reviewModel";
import { objectLabel } from "./stageDiff";

/** The two sides as the header names them. */
export interface ReviewSides {
    base: { ref: string; commit: string; subject: string };
    /** `commit` absent: the working tree. */
    head: { ref: string; commit?: string; subject?: string };
}

/** What the checkers added at head, or why they did not run. */
export type CheckerSection = { ran: false; why: string } | { ran: true; newFindings: Map<string, string[]>; headCount: number; baseCount: number };

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;
const short = (commit: string) => commit.slice(0, 12);

/**
 * The parts of a long one-line list. `id[, id]: reason; id: reason` (the review-waivers annotation,
 * whose reasons may hold "; ") is split only where the next entry's ids and colon follow.
 */
function parts(text: string, separator: string): string[] {
    if (separator === "; ") {
        const entries = text.split(/; (?=[A-Za-z0-9_-]+(?:, [A-Za-z0-9_-]+)*: )/);
        if (entries.length > 1) return entries;
    }
    return text.split(separator);
}

/** A one-line string longer than this is compared by its parts (a list in an annotation). */
const LONG_STRING = 120;

/**
 * One field change as a list item: `path: before → after`; a multi-line string (a ConfigMap's
 * file) as a diff of its lines, and a long one-line string as a diff of its `; `- or `,`-separated parts.
 */
function fieldLine(change: FieldChange, indent: string): string[] {
    const { before, after } = change;
    const block = (what: string, a: string, b: string) => [`${indent}- ${code(change.path)}: ${what}`, `${indent}  \`\`\`diff`, ...lineDiff(a, b).map((l) => `${indent}  ${l}`), `${indent}  \`\`\``];
    if (typeof before === "string" && typeof after === "string") {
        if (before.includes("\n") || after.includes("\n")) return block("lines changed", before, after);
        if (Math.max(before.length, after.length) > LONG_STRING) {
            const separator = before.includes("; ") || after.includes("; ") ? "; " : ",";
            return block(`parts changed (separated by "${separator.trim()}")`, parts(before, separator).join("\n"), parts(after, separator).join("\n"));
        }
    }
    return [`${indent}- ${code(`${change.path}: ${formatValue(before)} → ${formatValue(after)}`)}`];
}

function violationText(v: Violation): string {
    return `${v.enforcement} ${code(v.rule)}: ${v.object}: ${v.message}`;
}

function waiverText(w: Waiver): string {
    return `${w.checker} ${code(w.check)} on ${w.where}${w.reason ? `: ${w.reason}` : " (no reason given)"}`;
}

/** The summary cells of one stage. */
function summaryRow(s: StageReview): string {
    if (s.headError !== undefined) return `| ${s.stage} | does not render at head | | | | |`;
    const count = (n: number, what: string) => (n === 0 ? "—" : `${n} ${what}`);
    const touched = new Set([...s.objects.map(objectLabel), ...s.probes.map((p) => p.object), ...s.images.map((i) => i.object), ...s.weakenings.map((w) => w.object)]);
    const objects = s.presence === "added" ? "new stage" : s.presence === "removed" ? "stage removed" : count(touched.size, "changed");
    const mandatory = (list: Violation[]) => list.filter((v) => v.enforcement === "mandatory").length;
    const p = s.policy;
    const policy = p ? `${mandatory([...p.newViolations, ...p.existingViolations])} mandatory, ${p.newViolations.length + p.existingViolations.length - mandatory([...p.newViolations, ...p.existingViolations])} advisory (${p.newViolations.length} new)` : "—";
    const images = s.images.length === 0 ? "—" : s.images.map((i) => i.kind.split(" (")[0].split(":")[0]).join("; ");
    return `| ${s.stage} | ${objects} | ${images} | ${count(s.probes.length, "field(s)")} | ${s.weakenings.length === 0 ? "—" : `**${s.weakenings.length} weakened**`} | ${policy} |`;
}

function stageSection(s: StageReview, review: Review): string[] {
    const lines: string[] = [`## Stage ${code(s.stage)}`, ""];
    if (s.presence === "added") lines.push("A new stage: only head has its stack file; every object below is new.", "");
    if (s.presence === "removed") lines.push("Removed: only base has its stack file; its objects below are no longer rendered (the stack itself is destroyed only by `pulumi destroy`).", "");
    if (s.headError !== undefined) lines.push(`**Does not render at head:** ${s.headError}`, "");
    if (s.baseError !== undefined) lines.push(`Base did not render: ${s.baseError}${s.headError === undefined ? "; head's objects are listed as added, and every policy violation counts as new." : ""}`, "");
    if (s.weakenings.length > 0) {
        lines.push("### securityContext: weakened", "");
        for (const w of s.weakenings) lines.push(`- **${w.object}** ${code(`${w.path}: ${formatValue(w.before)} → ${formatValue(w.after)}`)} breaks ${w.rule}`);
        lines.push("");
    }
    if (s.images.length > 0) {
        lines.push("### Image", "");
        for (const i of s.images) lines.push(`- ${i.object} container ${code(i.container)}: ${i.unvouched ? "**" : ""}${i.kind}${i.unvouched ? "**" : ""}`, `  - before: ${i.before === undefined ? "(absent)" : code(i.before)}`, `  - after: ${i.after === undefined ? "(absent)" : code(i.after)}`);
        lines.push("");
    }
    if (s.probes.length > 0) {
        lines.push("### Probes", "");
        const why = [
            ...(review.healthcheck ? ["the Dockerfile's HEALTHCHECK changed (see **Dockerfile** above); the probes are derived from it (docs/probes.md)"] : []),
            ...(s.probeConfigChanged ? [`\`ragstar:probes\` changed in ${code(`Pulumi.${s.stage}.yaml`)}`] : []),
        ];
        lines.push(`- why: ${why.length > 0 ? why.join("; and ") : `the HEALTHCHECK's text and \`ragstar:probes\` are unchanged, so the derivation changed: the program (infra/probes/, docs/probes.md), or a build argument the HEALTHCHECK reads`}`);
        for (const f of s.probes) lines.push(...fieldLine({ ...f, path: `${f.object}: ${f.path}` }, ""));
        lines.push("");
    }
    if (s.objects.length > 0) {
        lines.push("### Objects", "");
        for (const o of s.objects) {
            if (o.status === "added") lines.push(`- added ${objectLabel(o)}`);
            else if (o.status === "removed") lines.push(`- removed ${objectLabel(o)}`);
            else if (o.status === "renamed") lines.push(`- replaced under a new name (its name carries a hash of its content): ${objectLabel({ ...o, name: o.previousName as string })} → ${code(o.name)}${o.fields.length === 0 ? "" : ":"}`);
            else lines.push(`- changed ${objectLabel(o)}:`);
            for (const f of o.fields) lines.push(...fieldLine(f, "  "));
        }
        lines.push("");
    }
    if (s.presence === "both" && s.headError === undefined && s.baseError === undefined && s.weakenings.length + s.images.length + s.probes.length + s.objects.length === 0) lines.push("No object changed.", "");
    if (s.policy) {
        const p = s.policy;
        const all = [...p.newViolations, ...p.existingViolations];
        const mandatory = all.filter((v) => v.enforcement === "mandatory").length;
        lines.push("### Policy at head", "", `${mandatory} mandatory and ${all.length - mandatory} advisory violation(s); ${p.newViolations.length} new.`, "");
        const list = [
            ...p.newViolations.map((v) => `- new: ${violationText(v)}`),
            // A mandatory violation fails the review even when base had it, so it is shown in full.
            ...p.existingViolations.map((v) => (v.enforcement === "mandatory" ? `- already at base: ${violationText(v)}` : `- already at base: ${v.enforcement} ${code(v.rule)} (${v.object})`)),
            ...p.resolved.map((v) => `- resolved: ${v.enforcement} ${code(v.rule)} (${v.object})`),
            ...s.newWaivers.map((w) => `- new waiver: ${waiverText(w)}`),
        ];
        if (list.length > 0) lines.push(...list, "");
    }
    return lines;
}

/**
 * The whole report.
 *
 * @returns Markdown, ending with a newline
 */
export function renderReport(review: Review, sides: ReviewSides, checkers: CheckerSection): string {
    const status = reviewStatus(review);
    // A ref that is a commit id is named once, short.
    const name = (ref: string, commit: string) => (commit.startsWith(ref) && ref.length >= 7 ? code(short(commit)) : `${code(ref)} (${short(commit)})`);
    const headName = sides.head.commit ? name(sides.head.ref, sides.head.commit) : "the working tree";
    const lines: string[] = [`# Infrastructure review: ${name(sides.base.ref, sides.base.commit)} → ${headName}`, ""];
    lines.push(`Each side is rendered from its own files, engine-free (no cluster, registry or cloud credentials); secrets print as [secret]. Base: ${short(sides.base.commit)} ${sides.base.subject}${sides.head.commit ? `. Head: ${short(sides.head.commit)} ${sides.head.subject ?? ""}` : "."}`, "");
    const weakened = review.stages.flatMap((s) => s.weakenings.map(() => s.stage));
    const mandatoryStages = review.stages.filter((s) => [...(s.policy?.newViolations ?? []), ...(s.policy?.existingViolations ?? [])].some((v) => v.enforcement === "mandatory")).map((s) => s.stage);
    const broken = review.stages.filter((s) => s.headError !== undefined).map((s) => s.stage);
    if (status === 0) lines.push("**Verdict: nothing got less safe** (exit 0).", "");
    else {
        const reasons = [
            ...(weakened.length > 0 ? [`${weakened.length} securityContext field(s) weakened (${[...new Set(weakened)].join(", ")})`] : []),
            ...(mandatoryStages.length > 0 ? [`a mandatory policy rule fails at head (${mandatoryStages.join(", ")})`] : []),
            ...(broken.length > 0 ? [`head does not render (${broken.join(", ")})`] : []),
        ];
        lines.push(`**Verdict: less safe** (exit 1): ${reasons.join("; ")}.`, "");
    }
    lines.push("| stage | objects | image | probes | securityContext | policy at head |", "|---|---|---|---|---|---|", ...review.stages.map(summaryRow), "");
    if (review.healthcheck || review.dockerfileWaivers.length > 0) {
        lines.push("## Dockerfile", "");
        if (review.healthcheck) {
            const where = (l: { line: number }[]) => (l.length === 0 ? "none" : `line ${l.map((x) => x.line).join(", ")}`);
            lines.push(`The HEALTHCHECK changed (base: ${where(review.healthcheck.before)}; head: ${where(review.healthcheck.after)}):`, "", "```diff", ...lineDiff(review.healthcheck.before.map((l) => l.text).join("\n"), review.healthcheck.after.map((l) => l.text).join("\n"), { context: true }), "```", "");
        }
        if (review.dockerfileWaivers.length > 0) lines.push(...review.dockerfileWaivers.map((w) => `- new waiver: ${waiverText(w)}`), "");
    }
    for (const s of review.stages) lines.push(...stageSection(s, review));
    lines.push("## Checkers (hadolint, checkov, kube-score)", "");
    if (!checkers.ran) lines.push(`Not run: ${checkers.why}`, "");
    else if (checkers.newFindings.size === 0) lines.push(`No finding at head that base did not have (${checkers.headCount} at head, ${checkers.baseCount} at base; waived checks are not findings).`, "");
    else {
        lines.push(`Findings at head that base did not have (${checkers.headCount} at head, ${checkers.baseCount} at base):`, "");
        for (const [place, findings] of checkers.newFindings) for (const f of findings) lines.push(`- ${place}: ${code(f)}`);
        lines.push("");
    }
    return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
