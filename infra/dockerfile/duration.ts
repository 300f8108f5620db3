/**
 * Go duration syntax, as Docker parses HEALTHCHECK flags.
 *
 * Docker's Dockerfile frontend passes `--interval`, `--timeout`, `--start-period` and
 * `--start-interval` to Go's `time.ParseDuration` (moby/buildkit
 * frontend/dockerfile/instructions/parse.go, `parseOptInterval`), so this module
 * reproduces that function's grammar and its overflow and rounding rules exactly:
 * an optional sign, then one or more `<number><unit>` pairs, where a number may have a
 * fraction and the unit is one of ns, us, µs, μs, ms, s, m, h. A bare `0` is the only
 * value allowed without a unit. Durations are carried as bigint nanoseconds so that the
 * probe arithmetic built on them stays exact.
 */

/** Nanoseconds per unit, from Go's `time` package `unitMap`. */
const UNIT_NANOSECONDS: ReadonlyMap<string, bigint> = new Map([
    ["ns", 1n],
    ["us", 1_000n],
    ["\u00b5s", 1_000n], // U+00B5 micro sign
    ["\u03bcs", 1_000n], // U+03BC Greek small letter mu
    ["ms", 1_000_000n],
    ["s", 1_000_000_000n],
    ["m", 60_000_000_000n],
    ["h", 3_600_000_000_000n],
]);

const MAX_INT64 = (1n << 63n) - 1n;

/** One nanosecond-exact duration, in nanoseconds. */
export type Nanoseconds = bigint;

export const NANOSECONDS_PER_SECOND = 1_000_000_000n;
export const NANOSECONDS_PER_MILLISECOND = 1_000_000n;

/** Raised for text that Go's `time.ParseDuration` would reject; the message matches Go's. */
export class DurationSyntaxError extends Error {}

function isDigit(c: string | undefined): boolean {
    return c !== undefined && c >= "0" && c <= "9";
}

/**
 * Parse `text` the way Go's `time.ParseDuration` does.
 *
 * @param text e.g. `30s`, `1m30s`, `1.5h`, `300ms`, `0`
 * @returns the duration in nanoseconds (negative when the text starts with `-`)
 * @throws DurationSyntaxError for empty text, a missing or unknown unit, or a value
 *   outside the int64 nanosecond range, with Go's wording
 */
export function parseGoDuration(text: string): Nanoseconds {
    const quoted = JSON.stringify(text);
    let rest = text;
    let negative = false;
    if (rest.startsWith("-") || rest.startsWith("+")) {
        negative = rest.startsWith("-");
        rest = rest.slice(1);
    }
    if (rest === "0") return 0n;
    if (rest === "") throw new DurationSyntaxError(`time: invalid duration ${quoted}`);

    let total = 0n;
    while (rest !== "") {
        if (!(rest[0] === "." || isDigit(rest[0]))) {
            throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
        }
        // Integer part; Go rejects it on int64 overflow.
        let i = 0;
        let whole = 0n;
        while (isDigit(rest[i])) {
            whole = whole * 10n + BigInt(rest[i]);
            if (whole > 1n << 63n) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
            i++;
        }
        const hasWhole = i > 0;
        rest = rest.slice(i);

        // Fraction: Go keeps digits while they fit in int64 and ignores the rest.
        let fraction = 0n;
        let scale = 1; // float64 in Go
        let hasFraction = false;
        if (rest.startsWith(".")) {
            rest = rest.slice(1);
            let j = 0;
            let overflowed = false;
            while (isDigit(rest[j])) {
                if (!overflowed) {
                    if (fraction > MAX_INT64 / 10n) {
                        overflowed = true;
                    } else {
                        const next = fraction * 10n + BigInt(rest[j]);
                        if (next > 1n << 63n) {
                            overflowed = true;
                        } else {
                            fraction = next;
                            scale *= 10;
                        }
                    }
                }
                j++;
            }
            hasFraction = j > 0;
            rest = rest.slice(j);
        }
        if (!hasWhole && !hasFraction) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);

        let u = 0;
        while (u < rest.length && !(rest[u] === "." || isDigit(rest[u]))) u++;
        if (u === 0) throw new DurationSyntaxError(`time: missing unit in duration ${quoted}`);
        const unitText = rest.slice(0, u);
        rest = rest.slice(u);
        const unit = UNIT_NANOSECONDS.get(unitText);
        if (unit === undefined) {
            throw new DurationSyntaxError(`time: unknown unit ${JSON.stringify(unitText)} in duration ${quoted}`);
        }
        if (whole > (1n << 63n) / unit) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
        let value = whole * unit;
        if (fraction > 0n) {
            // Go computes this part in float64 and truncates; so do we, for identical results.
            value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
            if (value > 1n << 63n) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
        }
        total += value;
        if (total > 1n << 63n) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
    }
    if (negative) return -total;
    if (total > MAX_INT64) throw new DurationSyntaxError(`time: invalid duration ${quoted}`);
    return total;
}

/** Format nanoseconds for messages, e.g. `1.5s`, `300ms`, `2m0s` is shown as `120s`. */
export function formatDuration(ns: Nanoseconds): string {
    if (ns % NANOSECONDS_PER_SECOND === 0n) return `${ns / NANOSECONDS_PER_SECOND}s`;
    if (ns % NANOSECONDS_PER_MILLISECOND === 0n) return `${ns / NANOSECONDS_PER_MILLISECOND}ms`;
    return `${ns}ns`;
}
