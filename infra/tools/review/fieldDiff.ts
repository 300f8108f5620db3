/**
 * Field-level diff of two rendered objects (pure): what a reviewer reads instead of a text diff.
 * Paths read like the field's own notation: `spec.template.spec.containers[ragstar].startupProbe.failureThreshold`;
 * a list whose items all carry a distinct `name` is keyed by it (`containers[ragstar]`), other
 * lists by index; a key that is not an identifier is quoted (`metadata.annotations["kube-score/ignore"]`).
 */
import { SECRET_MARKER } from "../render/stackFile";

/** One changed leaf: its path and the value on each side (`undefined`: the field is absent there). */
export interface FieldChange {
    path: string;
    before: unknown;
    after: unknown;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** `name` keys a list when every item is an object with a distinct string `name`. */
function namedItems(list: unknown[]): Map<string, unknown> | undefined {
    if (list.length === 0 || !list.every((item) => isObject(item) && typeof item.name === "string")) return undefined;
    const byName = new Map(list.map((item) => [(item as Obj).name as string, item]));
    return byName.size === list.length ? byName : undefined;
}

/** `a.b` for identifiers, `a["kube-score/ignore"]` for other keys. */
export function childPath(parent: string, key: string): string {
    if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
    return `${parent}[${JSON.stringify(key)}]`;
}

/** Scalars and lists of scalars are compared whole: `capabilities.drop: ["ALL"] → []` reads better than per index. */
const isLeafList = (v: unknown) => Array.isArray(v) && v.every((item) => !isObject(item) && !Array.isArray(item));

function walk(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
    if (isObject(before) && isObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        for (const key of keys) walk(before[key], after[key], childPath(path, key), out);
        return;
    }
    if (Array.isArray(before) && Array.isArray(after) && !(isLeafList(before) && isLeafList(after))) {
        const beforeNamed = namedItems(before);
        const afterNamed = namedItems(after);
        if ((beforeNamed || before.length === 0) && (afterNamed || after.length === 0) && (beforeNamed || afterNamed)) {
            const b = beforeNamed ?? new Map<string, unknown>();
            const a = afterNamed ?? new Map<string, unknown>();
            for (const name of [...new Set([...b.keys(), ...a.keys()])]) walk(b.get(name), a.get(name), `${path}[${name}]`, out);
            return;
        }
        for (let i = 0; i < Math.max(before.length, after.length); i++) walk(before[i], after[i], `${path}[${i}]`, out);
        return;
    }
    if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after });
}

/**
 * The changed leaves from `before` to `after`, sorted by path within each object level.
 * A field present on one side only is one change with `undefined` on the other side (a whole
 * added container is one change whose `after` is the container).
 */
export function diffFields(before: unknown, after: unknown): FieldChange[] {
    const out: FieldChange[] = [];
    walk(before, after, "", out);
    return out;
}

/** Longest values are cut here, with the count of characters left out. */
const MAX_VALUE_CHARS = 160;

/**
 * A value as the report prints it: numbers and booleans bare, strings and structures as JSON,
 * `(absent)` for a missing field, and `[secret]` for anything the render masked.
 */
export function formatValue(value: unknown): string {
    if (value === undefined) return "(absent)";
    if (value === SECRET_MARKER) return SECRET_MARKER;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    const text = JSON.stringify(value) ?? String(value);
    return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}… (${text.length - MAX_VALUE_CHARS} more characters)` : text;
}

/**
 * The lines removed and added between two multi-line strings (a ConfigMap's file, a HEALTHCHECK),
 * by longest common subsequence, in order: `- old`, `+ new`, and with `context` the unchanged
 * lines too (`  same`). Sizes stay small (a config file), so the quadratic table is bounded by
 * `maxLines` per side; beyond it every line counts as changed.
 */
export function lineDiff(before: string, after: string, { context = false, maxLines = 2000 }: { context?: boolean; maxLines?: number } = {}): string[] {
    const a = before.split("\n");
    const b = after.split("\n");
    if (a.length > maxLines || b.length > maxLines) return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)];
    const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (i < a.length && j < b.length && a[i] === b[j]) {
            if (context) out.push(`  ${a[i]}`);
            i++;
            j++;
        } else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) {
            out.push(`- ${a[i++]}`);
        } else {
            out.push(`+ ${b[j++]}`);
        }
    }
    return out;
}
