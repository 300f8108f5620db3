/**
 * The promotion order: an image is built once in dev and its digest moves dev → staging →
 * prod. Pure rules; the CLI (infra/tools/cli/promote.ts) applies them.
 */

/** Stages in promotion order. */
export const STAGES = ["dev", "staging", "prod"] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Check that `to` directly follows `from`.
 *
 * @param allowSkip `--skip-stage`: allow skipping forward over stages (never backwards)
 * @returns an error message, or undefined when the promotion is in order
 */
export function promotionOrderProblem(from: string, to: string, allowSkip: boolean): string | undefined {
    const i = STAGES.indexOf(from as Stage);
    const j = STAGES.indexOf(to as Stage);
    if (i < 0) return `--from ${from}: not a stage; stages in promotion order: ${STAGES.join(" → ")}`;
    if (j < 0) return `--to ${to}: not a stage; stages in promotion order: ${STAGES.join(" → ")}`;
    if (j <= i) return `--from ${from} --to ${to} goes backwards; promotion runs ${STAGES.join(" → ")}. To roll back ${to}, promote the previous digest into it with --ref (docs/promotion.md)`;
    if (j > i + 1 && !allowSkip) {
        return `--from ${from} --to ${to} skips ${STAGES.slice(i + 1, j).join(", ")}; promote to ${STAGES[i + 1]} first, or pass --skip-stage if skipping is intended`;
    }
    return undefined;
}
