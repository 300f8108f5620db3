/**
 * An instruction's arguments as BuildKit's line parsers split them (moby/buildkit
 * frontend/dockerfile/parser/line_parsers.go and the `dispatch` table in parser.go), before
 * `instructions.Parse` checks their number: the words that become `req.args`.
 */

/** Text a line parser refuses; the message is BuildKit's. */
export class LineParseError extends Error {}

/** What a line parser made of the text after the flags. */
export interface ParsedArgs {
    /** `nodeArgs` of the instruction: its words, or for ENV/LABEL key, value, separator triples. */
    args: string[];
    /** The arguments were a JSON array (`attributes["json"]`). */
    json: boolean;
}

/** parser.go `reWhitespace`: the separators of whitespace-delimited arguments. */
const WHITESPACE = /[\t\v\f\r ]+/;

/** `parseWords`: words split on Unicode whitespace, quotes kept, an escape binding the next character. */
export function parseWords(rest: string, escapeChar: string): string[] {
    const chars = Array.from(rest);
    const words: string[] = [];
    let phase: "spaces" | "word" | "quote" = "spaces";
    let quote = "";
    let blankOk = false;
    let word = "";
    for (let pos = 0; pos <= chars.length; pos++) {
        const end = pos === chars.length;
        let ch = end ? "" : chars[pos];
        if (phase === "spaces") {
            if (end) break;
            if (/\s/u.test(ch)) continue;
            phase = "word";
        }
        if (end) {
            if (blankOk || word.length > 0) words.push(word);
            break;
        }
        if (phase === "word") {
            if (/\s/u.test(ch)) {
                phase = "spaces";
                if (blankOk || word.length > 0) words.push(word);
                word = "";
                blankOk = false;
                continue;
            }
            if (ch === "'" || ch === '"') {
                quote = ch;
                blankOk = true;
                phase = "quote";
            }
            if (ch === escapeChar) {
                if (pos + 1 === chars.length) continue;
                word += ch;
                ch = chars[++pos];
            }
            word += ch;
            continue;
        }
        // phase === "quote"
        if (ch === quote) phase = "word";
        if (ch === escapeChar && quote !== "'") {
            if (pos + 1 === chars.length) {
                phase = "word";
                continue;
            }
            word += ch;
            ch = chars[++pos];
        }
        word += ch;
    }
    return words;
}

/** `parseJSON`: a JSON array of strings, or undefined when the text is not a JSON array. */
function parseJson(rest: string): string[] | undefined {
    const trimmed = rest.replace(/^\s+/u, "");
    if (!trimmed.startsWith("[")) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(trimmed);
    } catch {
        return undefined;
    }
    if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
        throw new LineParseError("when using JSON array syntax, arrays must be comprised of strings only");
    }
    return parsed as string[];
}

const whitespaceDelimited = (rest: string): ParsedArgs => ({ args: rest === "" ? [] : rest.split(WHITESPACE), json: false });

/** `parseNameVal` (ENV, LABEL): `KEY value` (old form) or `KEY=value ...`, as key/value/separator triples. */
function nameVal(rest: string, keyword: string, escapeChar: string): ParsedArgs {
    const words = parseWords(rest, escapeChar);
    if (words.length === 0) return { args: [], json: false };
    if (!words[0].includes("=")) {
        const parts = rest.split(WHITESPACE);
        if (parts.length < 2) throw new LineParseError(`${keyword} must have two arguments`);
        return { args: [parts[0], rest.slice(parts[0].length).replace(WHITESPACE, ""), ""], json: false };
    }
    const args: string[] = [];
    for (const word of words) {
        if (!word.includes("=")) throw new LineParseError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
        const eq = word.indexOf("=");
        args.push(word.slice(0, eq), word.slice(eq + 1), "=");
    }
    return { args, json: false };
}

/**
 * @param keyword the instruction, upper case (e.g. `COPY`)
 * @param rest the text after the keyword and its flags
 * @param escapeChar `\` or `` ` ``
 * @param subcommand ONBUILD's reading of its trigger line (parser.go `newNodeFromLine`)
 * @throws LineParseError what the line parser refuses
 */
export function lineArgs(keyword: string, rest: string, escapeChar: string, subcommand: (line: string) => string[]): ParsedArgs {
    switch (keyword) {
        case "ADD":
        case "COPY":
        case "VOLUME": {
            // parseMaybeJSONToList
            const json = parseJson(rest);
            return json ? { args: json, json: true } : whitespaceDelimited(rest);
        }
        case "CMD":
        case "ENTRYPOINT":
        case "RUN":
        case "SHELL": {
            // parseMaybeJSON: one shell-form word, or the JSON array's strings
            if (rest === "") return { args: [], json: false };
            const json = parseJson(rest);
            return json ? { args: json, json: true } : { args: [rest], json: false };
        }
        case "ENV":
        case "LABEL":
            return nameVal(rest, keyword, escapeChar);
        case "ARG":
            return { args: parseWords(rest, escapeChar), json: false };
        case "EXPOSE":
        case "FROM":
            return whitespaceDelimited(rest);
        case "MAINTAINER":
        case "STOPSIGNAL":
        case "USER":
        case "WORKDIR":
            // parseString: the whole text is one argument, spaces and all
            return { args: rest === "" ? [] : [rest], json: false };
        case "ONBUILD":
            return { args: rest === "" ? [] : subcommand(rest), json: false };
        default:
            return { args: rest === "" ? [] : [rest], json: false };
    }
}
