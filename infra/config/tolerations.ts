/**
 * `ragstar:tolerations`: the pod's tolerations, checked by the rules the API server applies.
 *
 * Source: kubernetes/kubernetes pkg/apis/core/validation/validation.go, `ValidateTolerations`
 * and `validateTaintEffect` (Kubernetes v1.34):
 * - a non-empty `key` must be a qualified name (`ValidateLabelName`, i.e. a label key);
 * - an empty `key` requires operator `Exists` (it then matches every taint);
 * - `tolerationSeconds` is allowed only with effect `NoExecute`;
 * - operator `Equal` (or empty, which means `Equal`): `value` must be a label value;
 *   operator `Exists`: `value` must be empty; no other operator;
 * - a non-empty `effect` is `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
 * The operator and effect enums are the schema's (config/stackConfig.ts); the rules between the
 * fields are here.
 */
import { labelKeyProblem, labelValueProblem } from "./kubernetesNames";

export const TOLERATION_OPERATORS = ["Equal", "Exists"] as const;
export const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;

/** One toleration as the schema returns it: `operator` defaulted to `Equal`; absent fields unset. */
export interface Toleration {
    /** Taint key; unset or empty: every key (only with operator `Exists`). */
    key?: string;
    operator: (typeof TOLERATION_OPERATORS)[number];
    /** Taint value for `Equal`; must be unset or empty for `Exists`. */
    value?: string;
    /** Taint effect matched; unset: every effect. */
    effect?: (typeof TAINT_EFFECTS)[number];
    /** Seconds the pod stays bound after a `NoExecute` taint appears (an integer; 0 or less: evicted at once). */
    tolerationSeconds?: number;
}

/** A problem of one field of a toleration: the field it names and what is allowed (may mention `{effect}`). */
export interface TolerationProblem {
    field: keyof Toleration;
    message: string;
}

/** A toleration as given, before or after the schema's type checks: each field may hold anything. */
export type UncheckedToleration = { [K in keyof Toleration]?: unknown };

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * Why `toleration` would be refused by the API server, one problem per broken rule (empty when
 * valid). A rule is applied only when the fields it reads have the schema's types (an absent
 * `operator` is `Equal`), so it runs beside the schema's own type and enum errors, and one run
 * reports them all. The problem about `tolerationSeconds` without `NoExecute` is reported at
 * `tolerationSeconds` (the API server names `effect`), the field a stack usually sets by mistake.
 */
export function tolerationProblems(toleration: UncheckedToleration): TolerationProblem[] {
    const problems: TolerationProblem[] = [];
    const operator = toleration.operator ?? "Equal";
    const knownOperator = operator === "Equal" || operator === "Exists";
    const key = toleration.key === undefined ? "" : text(toleration.key);
    const value = toleration.value === undefined ? "" : text(toleration.value);
    if (key !== undefined && key !== "") {
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) problems.push({ field: "key", message: keyProblem });
    } else if (key === "" && knownOperator && operator !== "Exists") {
        problems.push({ field: "operator", message: "must be Exists when key is empty (an empty key with Exists matches every taint); set a key, or operator: Exists" });
    }
    if (typeof toleration.tolerationSeconds === "number" && toleration.effect !== "NoExecute") {
        problems.push({ field: "tolerationSeconds", message: "is only allowed with effect NoExecute (the effect here is {effect}); remove it, or set effect: NoExecute" });
    }
    if (value !== undefined && operator === "Exists") {
        if (value !== "") problems.push({ field: "value", message: "must be empty when operator is Exists (it matches every value of the key); remove it, or set operator: Equal" });
    } else if (value !== undefined && operator === "Equal") {
        const valueProblem = labelValueProblem(value);
        if (valueProblem) problems.push({ field: "value", message: valueProblem });
    }
    return problems;
}
