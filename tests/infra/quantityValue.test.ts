/**
 * `quantityValue` (infra/tools/docker/quantity.ts, the number `docker run` gets) is a thin function
 * over `parseQuantity` (infra/config/quantity.ts, the one grammar): the same values as the float
 * parser it replaced for every quantity the stacks, the schema defaults and the image tests use,
 * and the right ones where that parser was wrong (the suffixes E and Ei).
 */
import { parseQuantity } from "../../infra/config/quantity";
import { quantityValue } from "../../infra/tools/docker/quantity";

/** The float parser quantityValue had before it used parseQuantity, kept here as the reference. */
function formerQuantityValue(quantity: string): number {
    const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
    const DECIMAL: Record<string, number> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
    const match = /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([KMGTPE]i|[mkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(quantity);
    if (!match) throw new Error(`not a Kubernetes quantity: ${JSON.stringify(quantity)}`);
    const [, number, suffix = ""] = match;
    if (/^[eE]/.test(suffix)) return Number(number) * 10 ** Number(suffix.slice(1));
    return Number(number) * (BINARY[suffix] ?? DECIMAL[suffix]);
}

// The stacks' and the schema's cpu, memory, storage and tmp sizes, and the other forms of the grammar.
const SAMPLE = ["100m", "250m", "500m", "1", "2", "64Mi", "128Mi", "256Mi", "384Mi", "512Mi", "768Mi", "1Gi", "1.5Gi", "0.5", ".5", "5.", "+1", "1k", "2M", "3G", "1T", "1P", "1Ki", "1Ti", "1Pi", "1e3", "1E3", "1e-3", "2e+2", "0", "1m", "999m", "1500m", "0.1"];

test.each(SAMPLE)("%s: the same number as before, and the exact value's quotient", (text) => {
    const exact = parseQuantity(text)!;
    expect(quantityValue(text)).toBe(formerQuantityValue(text));
    expect(quantityValue(text)).toBe(Number(exact.numerator) / Number(exact.denominator));
});

test("what is not a quantity is refused with the same message", () => {
    for (const text of ["", "1.5.5", "Mi", "1mi", "1 Gi", "1KiB", "-"]) {
        expect(() => quantityValue(text)).toThrow(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
        expect(() => formerQuantityValue(text)).toThrow(`not a Kubernetes quantity: ${JSON.stringify(text)}`);
    }
});

test("the suffixes E and Ei, which the float parser took for an exponent, are exa and exbi", () => {
    expect([formerQuantityValue("1E"), formerQuantityValue("1Ei")]).toEqual([1, NaN]);
    expect([quantityValue("1E"), quantityValue("1Ei")]).toEqual([1e18, 2 ** 60]);
});

test("the one grammar's forms the float parser lacked: n and u, and no exponent beyond ±100", () => {
    expect(quantityValue("500u")).toBe(0.0005);
    expect(quantityValue("1n")).toBe(1e-9);
    expect(() => quantityValue("1e101")).toThrow("not a Kubernetes quantity");
});
