/**
 * Instruction flags (`--name=value` before an instruction's arguments), read as BuildKit reads them.
 *
 * - Splitting: moby/buildkit frontend/dockerfile/parser/split_command.go `extractBuilderFlags`.
 *   The text is walked byte by byte (each byte taken as the code point of the same value), so
 *   quotes `'` and `"` are removed inside a flag word, `\` makes the next byte literal (the
 *   escape directive does not apply), the bytes 0x85 and 0xA0 count as spaces like ASCII
 *   whitespace (Go `unicode.IsSpace`), and a word `--` ends the flag list. A multi-byte UTF-8
 *   character in a value survives as one Latin-1 character per byte, so `µs` is not the unit
 *   `µs` any more.
 * - Checking: moby/buildkit frontend/dockerfile/instructions/bflag.go `BFlags.Parse`.
 */

/** Go's unicode.IsSpace for a single byte taken as a rune. */
export function isGoSpaceByte(b: number): boolean {
    return (b >= 0x09 && b <= 0x0d) || b === 0x20 || b === 0x85 || b === 0xa0;
}

/** The flag words of an instruction and the text after them. */
export interface ExtractedFlags {
    /** Flag words with quotes and backslashes processed, each byte as one UTF-16 unit, e.g. `--interval=5s`. */
    flags: string[];
    /** The arguments after the flags, trimmed, as UTF-8 text. */
    rest: string;
}

/**
 * Split the text after an instruction keyword into flag words and the rest.
 *
 * @param text e.g. `--interval="5s" -- CMD true`
 * @returns e.g. `{flags: ["--interval=5s"], rest: "CMD true"}`
 */
export function extractBuilderFlags(text: string): ExtractedFlags {
    const bytes = Buffer.from(text, "utf8");
    const restFrom = (pos: number) => bytes.subarray(pos).toString("utf8").trim();
    const flags: string[] = [];
    let phase: "spaces" | "word" | "quote" = "spaces";
    let word = "";
    let quote = 0;
    let blankOk = false;
    for (let pos = 0; pos <= bytes.length; pos++) {
        const end = pos === bytes.length;
        let ch = end ? -1 : bytes[pos];
        if (phase === "spaces") {
            if (end) break;
            if (isGoSpaceByte(ch)) continue;
            // Only a word that starts with `--` is a flag; anything else starts the arguments.
            if (ch !== 0x2d || pos + 1 === bytes.length || bytes[pos + 1] !== 0x2d) return { flags, rest: restFrom(pos) };
            phase = "word";
        }
        if (end) {
            if (word !== "--" && (blankOk || word.length > 0)) flags.push(word);
            break;
        }
        if (phase === "word") {
            if (isGoSpaceByte(ch)) {
                phase = "spaces";
                if (word === "--") return { flags, rest: restFrom(pos) };
                if (blankOk || word.length > 0) flags.push(word);
                word = "";
                blankOk = false;
                continue;
            }
            if (ch === 0x27 || ch === 0x22) {
                quote = ch;
                blankOk = true;
                phase = "quote";
                continue;
            }
            if (ch === 0x5c) {
                if (pos + 1 === bytes.length) continue;
                ch = bytes[++pos];
            }
            word += String.fromCharCode(ch);
            continue;
        }
        // phase === "quote"
        if (ch === quote) {
            phase = "word";
            continue;
        }
        if (ch === 0x5c) {
            if (pos + 1 === bytes.length) {
                phase = "word";
                continue;
            }
            ch = bytes[++pos];
        }
        word += String.fromCharCode(ch);
    }
    return { flags, rest: "" };
}

/** A flag list that `BFlags.Parse` refuses; the message is BuildKit's. */
export class FlagError extends Error {}

/** How `BFlags` reads a flag: a string, a repeatable string, or a boolean (`--link`, `--link=false`). */
export type FlagKind = "string" | "strings" | "bool";

/**
 * Check flag words against the flags an instruction defines, as `BFlags.Parse` does: `--`
 * ends the list; a string flag needs `=value`; a bool flag takes no value or `=true`/`=false`
 * (any case); only a strings flag may repeat.
 *
 * @param words from {@link extractBuilderFlags}
 * @param defined flag name (no dashes) → kind, e.g. `{from: "string", link: "bool"}`
 * @returns name → values given (a bool given bare reads `true`)
 * @throws FlagError `Arg should start with -- : X`, `Unknown flag: X`, `Duplicate flag specified: X`,
 *   `Missing a value on flag: X`, `Expecting boolean value for flag X, not: V`
 */
export function parseFlags(words: readonly string[], defined: Readonly<Record<string, FlagKind>>): Map<string, string[]> {
    const values = new Map<string, string[]>();
    for (const word of words) {
        if (!word.startsWith("--")) throw new FlagError(`Arg should start with -- : ${word}`);
        if (word === "--") break;
        const eq = word.indexOf("=");
        const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
        const value = eq >= 0 ? word.slice(eq + 1) : "";
        const kind = Object.hasOwn(defined, name) ? defined[name] : undefined;
        if (kind === undefined) throw new FlagError(`Unknown flag: ${name}`);
        if (values.has(name) && kind !== "strings") throw new FlagError(`Duplicate flag specified: ${name}`);
        let read = value;
        if (kind === "bool") {
            if (eq >= 0 && value === "") throw new FlagError(`Missing a value on flag: ${name}`);
            read = value === "" ? "true" : value.toLowerCase();
            if (read !== "true" && read !== "false") throw new FlagError(`Expecting boolean value for flag ${name}, not: ${value}`);
        } else if (eq < 0) throw new FlagError(`Missing a value on flag: ${name}`);
        values.set(name, [...(values.get(name) ?? []), read]);
    }
    return values;
}

/**
 * Check flag words against string flags only (HEALTHCHECK's), as `BFlags.Parse` does.
 *
 * @param allowed flag names without dashes, e.g. `["interval", "retries"]`
 * @returns name → value for the flags given
 */
export function parseStringFlags(words: readonly string[], allowed: readonly string[]): Map<string, string> {
    const parsed = parseFlags(words, Object.fromEntries(allowed.map((name) => [name, "string" as const])));
    return new Map([...parsed].map(([name, values]) => [name, values[0]]));
}

/** Split at the first run of (byte-wise Go) whitespace, as `parseHealthConfig` finds the HEALTHCHECK type. */
export function splitFirstWord(text: string): { first: string; rest: string } {
    const bytes = Buffer.from(text, "utf8");
    let sep = 0;
    while (sep < bytes.length && !isGoSpaceByte(bytes[sep])) sep++;
    let next = sep;
    while (next < bytes.length && isGoSpaceByte(bytes[next])) next++;
    return { first: bytes.subarray(0, sep).toString("utf8"), rest: bytes.subarray(next).toString("utf8") };
}
