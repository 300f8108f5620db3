/**
 * Build-time word expansion for ARG, ENV, USER, EXPOSE and FROM, as BuildKit's shell lexer
 * does it (moby/buildkit frontend/dockerfile/shell/lex.go, `processStopOn`, `processDollar`):
 * single quotes are literal; double quotes allow expansion; the escape character makes the
 * next character literal (inside double quotes only before `$`, `"` and itself);
 * `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}` and `${VAR+word}` expand,
 * and `word` is itself a word of the same grammar, so `${A:-${B:-x}}` nests to any depth.
 * An unset variable expands to the empty string, as in Docker.
 */

/**
 * @param raw the word exactly as written, quotes included, e.g. `${A:-${B}}:"$C"`
 * @param lookup a variable's value, or undefined when unset
 * @param escapeChar `\` or `` ` ``
 * @returns the expanded text
 */
export function expandBuildVariables(raw: string, lookup: (name: string) => string | undefined, escapeChar: string): string {
    let i = 0;

    /** Read until `stop` (outside quotes) or the end; leaves `i` on the stop character. */
    const word = (stop: string | undefined): string => {
        let out = "";
        let quote: "'" | '"' | undefined;
        while (i < raw.length) {
            const c = raw[i];
            if (quote === "'") {
                if (c === "'") quote = undefined;
                else out += c;
                i++;
                continue;
            }
            if (quote === undefined && stop !== undefined && c === stop) return out;
            if (c === escapeChar && i + 1 < raw.length) {
                const next = raw[i + 1];
                if (quote === '"' && !["$", '"', escapeChar].includes(next)) {
                    out += c;
                    i++;
                } else {
                    out += next;
                    i += 2;
                }
                continue;
            }
            if ((c === "'" && quote === undefined) || c === '"') {
                quote = quote === c ? undefined : (c as "'" | '"');
                i++;
                continue;
            }
            if (c === "$") {
                out += dollar();
                continue;
            }
            out += c;
            i++;
        }
        return out;
    };

    /** Expand the `$...` at `i`, leaving `i` after it. */
    const dollar = (): string => {
        i++; // the `$`
        if (raw[i] === "{") {
            const close = raw.indexOf("}", i);
            const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i + 1))?.[0];
            if (name === undefined) {
                // Not a name: keep the text as written, as before (Docker refuses most of these).
                if (close < 0) {
                    const text = raw.slice(i - 1);
                    i = raw.length;
                    return text;
                }
                const text = raw.slice(i - 1, close + 1);
                i = close + 1;
                return text;
            }
            i += 1 + name.length;
            const value = lookup(name);
            if (raw[i] === "}") {
                i++;
                return value ?? "";
            }
            const colon = raw[i] === ":";
            if (colon) i++;
            const op = raw[i];
            if (op !== "-" && op !== "+") {
                // An unsupported modifier: keep the rest literally up to the brace.
                const end = raw.indexOf("}", i);
                i = end < 0 ? raw.length : end + 1;
                return value ?? "";
            }
            i++;
            const alternative = word("}");
            i++; // the closing `}`
            const set = colon ? value !== undefined && value !== "" : value !== undefined;
            if (op === "-") return set ? (value as string) : alternative;
            return set ? alternative : "";
        }
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(raw.slice(i))?.[0];
        if (name === undefined) return "$";
        i += name.length;
        return lookup(name) ?? "";
    };

    return word(undefined);
}
