/**
 * Variable expansion in a Dockerfile's words, under the two rules that apply to them, side by side:
 *
 * Build time (`expandBuildVariables`): ARG, ENV, USER, EXPOSE and FROM, as BuildKit's shell lexer
 * does it (moby/buildkit frontend/dockerfile/shell/lex.go: `processStopOn`,
 * `processSingleQuote`, `processDoubleQuote`, `processDollar`, `processName`,
 * `convertShellPatternToRegex`, `trimPrefix`, `trimSuffix`):
 *
 * - single quotes are literal; double quotes allow expansion; the escape character makes the
 *   next character literal (inside double quotes only before `$`, `"` and itself); an
 *   unterminated quote is an error;
 * - `$VAR`, `${VAR}`; `${VAR:-w}`/`${VAR-w}`, `${VAR:+w}`/`${VAR+w}`; `${VAR:?w}`/`${VAR?w}`
 *   (an error `VAR: w` when unset, or empty with `:`); `${VAR#p}`/`${VAR##p}` and
 *   `${VAR%p}`/`${VAR%%p}` (shortest/longest prefix/suffix removal, `*` and `?` wildcards);
 *   `${VAR/p/r}` and `${VAR//p/r}` (first/every match replaced);
 * - `w` is itself a word of the same grammar, so `${A:-${B:-x}}` nests;
 * - any other modifier (`${A:=x}`, `${A^x}`), `${}`, `${:x}` and a missing `}` are errors, with
 *   BuildKit's wording;
 * - an unset variable expands to the empty string.
 *
 * Run time (`expandShellParameter`): one `$NAME` or `${...}` of a shell-form HEALTHCHECK, as the
 * container's POSIX shell expands it when Docker runs the check (POSIX XCU 2.6.2, "Parameter
 * Expansion"). The shell's own lexing (quotes, word splitting) is left to the caller's shell
 * parser, which hands over the text inside the braces; only `NAME`, `NAME:-w`, `NAME-w`,
 * `NAME:+w` and `NAME+w` are read, with a literal `w`, and a name without a value is the
 * caller's to decide (its value is not known before the container runs).
 *
 * Both rules give `-` and `+` the same meaning (`defaultOrAlternative`); they differ in what an
 * unset name gives (BuildKit: the empty string; here: the caller's answer) and in nesting.
 */
import { DockerfileError } from "../errors";

/** A word BuildKit's lexer refuses; the message is BuildKit's (`failed to process "<word>": <why>`). */
export class ExpansionError extends Error {}

const EOF = -1;
const isDigit = (c: string) => /^\p{Nd}$/u.test(c);
const isLetter = (c: string) => /^\p{L}$/u.test(c);
/** POSIX special parameters, read as one-character names (`isSpecialParam`). */
const SPECIAL_PARAMS = "@*#?-$!0";

/**
 * A shell pattern (`*` any run, `?` one character, `\` escapes `*`, `?`, `\`; `\}` and `\/`
 * lose the backslash) as a regular expression, as `convertShellPatternToRegex` builds it.
 */
function patternRegex(pattern: string, greedy: boolean, anchored: boolean): RegExp {
    const chars = Array.from(pattern);
    let out = anchored ? "^" : "";
    for (let i = 0; i < chars.length; i++) {
        const c = chars[i];
        if (c === "*") out += greedy ? "[\\s\\S]*" : "[\\s\\S]*?";
        else if (c === "?") out += "[\\s\\S]";
        else if (c === "\\") {
            if (chars[i + 1] === "}" || chars[i + 1] === "/") continue;
            const next = chars[++i];
            if (next !== "*" && next !== "?" && next !== "\\") throw new ExpansionError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ""}'`);
            out += `\\${next}`;
        } else out += /[[\]{}.+()|^$]/.test(c) ? `\\${c}` : c;
    }
    return new RegExp(out, "u");
}

/** `trimPrefix`: remove the shortest (or, greedy, longest) prefix matching the pattern. */
function trimPrefix(pattern: string, value: string, greedy: boolean): string {
    const match = patternRegex(pattern, greedy, true).exec(value);
    return match ? value.slice(match[0].length) : value;
}

/** `reversePattern`: the pattern backwards, an escape staying before the character it escapes. */
function reversePattern(pattern: string): string {
    const units: string[] = [];
    const chars = Array.from(pattern);
    for (let i = 0; i < chars.length; i++) {
        if (chars[i] === "\\" && i + 1 < chars.length) units.push(chars[i] + chars[++i]);
        else units.push(chars[i]);
    }
    return units.reverse().join("");
}

/** `trimSuffix`: trimPrefix on the reversed value and pattern. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
    const reverse = (s: string) => Array.from(s).reverse().join("");
    return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/**
 * `${NAME-word}` and `${NAME+word}`, in both rules: `-` gives the value, or `word` when the
 * name is unset; `+` gives `word` when the name is set, else the empty string. With `:`
 * (`${NAME:-word}`, `${NAME:+word}`) an empty value counts as unset (POSIX XCU 2.6.2; lex.go
 * `processDollar`).
 *
 * @param value the name's value, undefined when unset
 * @param word the word after the operator, already expanded
 */
export function defaultOrAlternative(operator: "-" | "+", nullIsUnset: boolean, value: string | undefined, word: string): string {
    const unset = value === undefined || (nullIsUnset && value === "");
    if (operator === "-") return unset ? word : (value as string);
    return unset ? "" : word;
}

/**
 * The build-time rule.
 *
 * @param raw the word exactly as written, quotes included, e.g. `${A:-${B}}:"$C"`
 * @param lookup a variable's value, or undefined when unset
 * @param escapeChar `\` or `` ` ``
 * @returns the expanded text
 * @throws ExpansionError for a word BuildKit refuses
 */
export function expandBuildVariables(raw: string, lookup: (name: string) => string | undefined, escapeChar: string): string {
    const chars = Array.from(raw);
    let pos = 0;
    const peek = (): string | typeof EOF => (pos < chars.length ? chars[pos] : EOF);
    const next = (): string | typeof EOF => (pos < chars.length ? chars[pos++] : EOF);
    let rawEscapes = false;

    const processStopOn = (stop: string | typeof EOF, raw: boolean): string => {
        const saved = rawEscapes;
        rawEscapes = raw;
        try {
            let out = "";
            while (peek() !== EOF) {
                const c = peek() as string;
                if (stop !== EOF && c === stop) {
                    next();
                    return out;
                }
                if (c === "$") out += processDollar();
                else if (c === "'") out += processSingleQuote();
                else if (c === '"') out += processDoubleQuote();
                else {
                    let ch = next() as string;
                    if (ch === escapeChar) {
                        if (rawEscapes) out += ch;
                        const escaped = next();
                        if (escaped === EOF) break;
                        ch = escaped;
                    }
                    out += ch;
                }
            }
            if (stop !== EOF) throw new ExpansionError(`unexpected end of statement while looking for matching ${stop}`);
            return out;
        } finally {
            rawEscapes = saved;
        }
    };

    const processSingleQuote = (): string => {
        next();
        let out = "";
        for (;;) {
            const ch = next();
            if (ch === EOF) throw new ExpansionError("unexpected end of statement while looking for matching single-quote");
            if (ch === "'") return out;
            out += ch;
        }
    };

    const processDoubleQuote = (): string => {
        next();
        let out = "";
        for (;;) {
            const c = peek();
            if (c === EOF) throw new ExpansionError("unexpected end of statement while looking for matching double-quote");
            if (c === '"') {
                next();
                return out;
            }
            if (c === "$") {
                out += processDollar();
                continue;
            }
            let ch = next() as string;
            if (ch === escapeChar) {
                if (rawEscapes) out += ch;
                const after = peek();
                if (after === EOF) continue;
                if (after === '"' || after === "$" || after === escapeChar) ch = next() as string;
            }
            out += ch;
        }
    };

    const processName = (): string => {
        let name = "";
        while (peek() !== EOF) {
            const c = peek() as string;
            if (name === "" && isDigit(c)) {
                while (peek() !== EOF && isDigit(peek() as string)) name += next();
                return name;
            }
            if (name === "" && SPECIAL_PARAMS.includes(c)) return next() as string;
            if (!isLetter(c) && !isDigit(c) && c !== "_") break;
            name += next();
        }
        return name;
    };

    const processDollar = (): string => {
        next(); // the `$`
        if (peek() !== "{") {
            const name = processName();
            return name === "" ? "$" : (lookup(name) ?? "");
        }
        next(); // the `{`
        const first = peek();
        if (first === EOF) throw new ExpansionError("syntax error: missing '}'");
        if (first === "{" || first === "}" || first === ":") throw new ExpansionError("syntax error: bad substitution");
        const name = processName();
        let ch = next();
        // Go's string(scanner.EOF) is U+FFFD, which is what BuildKit prints for a word that ends here.
        let modifier = ch === EOF ? "\uFFFD" : ch;
        if (ch === "}") return lookup(name) ?? "";
        if (ch === "/") {
            const replaceAll = peek() === "/";
            if (replaceAll) next();
            const pattern = readUntil("/", "syntax error: missing '/' in ${}");
            const replacement = readUntil("}", "syntax error: missing '}'");
            const value = lookup(name) ?? "";
            const re = patternRegex(pattern, true, false);
            if (replaceAll) return value.replace(new RegExp(re.source, "gu"), () => replacement);
            return value.replace(re, () => replacement);
        }
        const nullIsUnset = ch === ":";
        if (nullIsUnset) {
            ch = next();
            modifier += ch === EOF ? "\uFFFD" : ch;
        }
        if (nullIsUnset || ch === "+" || ch === "-" || ch === "?" || ch === "#" || ch === "%") {
            const word = readUntil("}", "syntax error: missing '}'", ch === "#" || ch === "%");
            const value = lookup(name);
            const unset = value === undefined || (nullIsUnset && value === "");
            switch (ch) {
                case "-":
                case "+":
                    return defaultOrAlternative(ch, nullIsUnset, value, word);
                case "?":
                    if (value === undefined) throw new ExpansionError(`${name}: ${word || "is not allowed to be unset"}`);
                    if (unset) throw new ExpansionError(`${name}: ${word || "is not allowed to be empty"}`);
                    return value;
                case "#":
                case "%": {
                    const greedy = word.startsWith(ch);
                    const pattern = greedy ? word.slice(1) : word;
                    return ch === "%" ? trimSuffix(pattern, value ?? "", greedy) : trimPrefix(pattern, value ?? "", greedy);
                }
            }
        }
        throw new ExpansionError(`unsupported modifier (${modifier}) in substitution`);
    };

    /** A nested word up to `stop`; at the end of the text, `missing` is the error. */
    const readUntil = (stop: string, missing: string, raw = true): string => {
        try {
            return processStopOn(stop, raw);
        } catch (error) {
            if (error instanceof ExpansionError && peek() === EOF) throw new ExpansionError(missing);
            throw error;
        }
    };

    try {
        return processStopOn(EOF, false);
    } catch (error) {
        if (error instanceof ExpansionError) throw new ExpansionError(`failed to process ${JSON.stringify(raw)}: ${error.message}`);
        throw error;
    }
}

/**
 * {@link expandBuildVariables}, with a word BuildKit's lexer refuses reported at the instruction.
 *
 * @param line 1-based line of the instruction, for the message
 * @throws DockerfileError naming `file` and `line`, with BuildKit's message
 */
export function expandBuildVariablesAt(raw: string, lookup: (name: string) => string | undefined, escapeChar: string, file: string, line: number): string {
    try {
        return expandBuildVariables(raw, lookup, escapeChar);
    } catch (error) {
        if (error instanceof ExpansionError) throw new DockerfileError(file, line, error.message);
        throw error;
    }
}

/**
 * The run-time rule: the value the container's shell gives one parameter expansion.
 *
 * @param expression the text inside `${…}`, or the name after a bare `$`, e.g. `PORT:-8000`
 * @param lookup the name's value in the container's environment, undefined when not set
 * @param unset the value of a name used without `-`/`+` that `lookup` does not know; it may
 *   throw instead. An expression of another shape (`A:?x`, `A#x`) is looked up whole, so it
 *   reaches `unset` too.
 * @returns the expanded text
 */
export function expandShellParameter(expression: string, lookup: (name: string) => string | undefined, unset: (name: string) => string): string {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-+])(.*))?$/s.exec(expression);
    const name = match?.[1] ?? expression;
    const operator = match?.[3] as "-" | "+" | undefined;
    if (operator !== undefined) return defaultOrAlternative(operator, match?.[2] === ":", lookup(name), match?.[4] ?? "");
    return lookup(name) ?? unset(name);
}
