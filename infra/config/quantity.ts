/**
 * Kubernetes resource quantities, parsed exactly (no floating point) so they can be compared:
 * `requests.cpu ≤ limits.cpu` must hold for 999m vs 1 and for 1Gi vs 1073741824 alike.
 *
 * Grammar (k8s.io/apimachinery/pkg/api/resource/quantity.go, `parseQuantityString` and the
 * suffixer, Kubernetes v1.34): `[+-]` number `(\d+(\.\d*)?|\.\d+)` then one suffix: none,
 * a decimal SI suffix `n u m k M G T P E`, a binary SI suffix `Ki Mi Gi Ti Pi Ei`, or a
 * decimal exponent `e`/`E` with an optional sign and integer digits.
 */

/** An exact rational value: sign × numerator / denominator, denominator > 0. */
export interface ExactQuantity {
    /** The text as given. */
    text: string;
    numerator: bigint;
    denominator: bigint;
}

const QUANTITY = /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
const DECIMAL_SI: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
/**
 * Exponents beyond this are refused rather than expanded (10^1000000 would take a while);
 * the API server stores such values, but no cpu, memory or disk size is near 10^±100.
 */
const MAX_EXPONENT = 100;

/**
 * Parse a quantity exactly.
 *
 * @param text e.g. `250m`, `1.5Gi`, `1e3`
 * @returns the exact value, or undefined when the text is not a quantity the API server parses
 *   (or its exponent is beyond ±100)
 */
export function parseQuantity(text: string): ExactQuantity | undefined {
    const match = QUANTITY.exec(text);
    if (!match) return undefined;
    const [, sign, number, suffix = ""] = match;
    const [whole, fraction = ""] = number.split(".");
    let numerator = BigInt((whole || "0") + fraction) * (sign === "-" ? -1n : 1n);
    let denominator = 10n ** BigInt(fraction.length);
    let exponent: number;
    if (suffix in BINARY_SI) {
        numerator *= 2n ** BigInt(BINARY_SI[suffix]);
        exponent = 0;
    } else if (suffix in DECIMAL_SI) {
        exponent = DECIMAL_SI[suffix];
    } else {
        exponent = Number(suffix.slice(1));
        if (Math.abs(exponent) > MAX_EXPONENT) return undefined;
    }
    if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
    else denominator *= 10n ** BigInt(-exponent);
    return { text, numerator, denominator };
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareQuantities(a: ExactQuantity, b: ExactQuantity): -1 | 0 | 1 {
    const left = a.numerator * b.denominator;
    const right = b.numerator * a.denominator;
    return left < right ? -1 : left > right ? 1 : 0;
}

/** Whether the quantity is greater than zero. */
export function isPositive(q: ExactQuantity): boolean {
    return q.numerator > 0n;
}
