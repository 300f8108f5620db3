/**
 * YAML to plain data with one-line problems: `line N: what is wrong`. Aliases are where YAML
 * goes wrong quietly: one that names no anchor is only found when the value is built, and a
 * "billion laughs" nest of aliases expands exponentially; both become a problem with the line
 * of the alias. The expansion is cut off by the `yaml` library's `maxAliasCount`.
 */
import { LineCounter, parseDocument, visit, type Document } from "yaml";

/** How many alias expansions a file may cause (the `yaml` library's default, stated here). */
export const MAX_ALIAS_COUNT = 100;

/** The 1-based line of a node's start, or "?" when it has no range. */
function lineOf(lines: LineCounter, range: readonly number[] | null | undefined): number | "?" {
    return range ? lines.linePos(range[0]).line : "?";
}

/**
 * The problems of a parsed document and its value.
 *
 * @param document parsed with a `lineCounter` that `lines` is
 * @returns the value (`toJS()`), or the problems, each one line beginning `line N: `
 */
export function documentValue(document: Document, lines: LineCounter, what = "a stack file"): { value: unknown } | { problems: string[] } {
    if (document.errors.length > 0) {
        return {
            problems: document.errors.map((e) => {
                // The library's own wording: "… at line N, column M:" (prettyErrors) and advice on its API.
                const message = e.code === "MULTIPLE_DOCS" ? `${what} holds one YAML document` : e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
                return `line ${lineOf(lines, e.pos)}: ${message}`;
            }),
        };
    }
    let unresolved: string | undefined;
    visit(document, {
        Alias(_, node) {
            if (node.resolve(document) === undefined) {
                unresolved = `line ${lineOf(lines, node.range)}: alias *${node.source} names no anchor defined before it`;
                return visit.BREAK;
            }
            return undefined;
        },
    });
    if (unresolved) return { problems: [unresolved] };
    try {
        return { value: document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
    } catch (error) {
        if (!/alias/i.test((error as Error).message)) throw error;
        let first: readonly number[] | null | undefined;
        visit(document, {
            Alias(_, node) {
                first = node.range;
                return visit.BREAK;
            },
        });
        return { problems: [`line ${lineOf(lines, first)}: more than ${MAX_ALIAS_COUNT} aliases (an alias bomb?); refused`] };
    }
}

/**
 * Parse YAML text into plain data.
 *
 * @param what the file's kind, for "WHAT holds one YAML document"
 * @returns the value, or the problems (see documentValue)
 */
export function parseYaml(text: string, what = "a stack file"): { value: unknown } | { problems: string[] } {
    const lines = new LineCounter();
    return documentValue(parseDocument(text, { lineCounter: lines }), lines, what);
}
