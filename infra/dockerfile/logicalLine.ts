/**
 * One Dockerfile instruction's physical lines → the single logical line BuildKit parses.
 *
 * Rules from moby/buildkit frontend/dockerfile/parser/parser.go (`Parse`,
 * `trimContinuationCharacter`, `isComment`, `isEmptyContinuationLine`): the first line loses
 * its leading whitespace; a line ending in the escape character (optionally followed by
 * spaces or tabs) continues, and the escape character and that whitespace are removed;
 * continuation lines keep their leading whitespace and are appended with no separator;
 * comment lines and blank lines inside a continuation are skipped.
 */

/**
 * @param lines the instruction's physical lines, first to last (no newline characters)
 * @param escapeChar `\` or `` ` `` (the escape directive)
 * @returns the joined text, e.g. `HEALTHCHECK --interval=1\` + `5s CMD true` → `HEALTHCHECK --interval=15s CMD true`
 */
export function joinLogicalLine(lines: readonly string[], escapeChar: string): string {
    const continuation = new RegExp(`${escapeChar === "`" ? "`" : "\\\\"}[ \\t]*$`);
    let out = "";
    for (let i = 0; i < lines.length; i++) {
        let line = lines[i].replace(/\r$/, "");
        if (i === 0) {
            line = line.replace(/^[ \t]+/, "");
        } else {
            const trimmed = line.replace(/^[ \t]+/, "");
            // Comment and blank lines inside a continuation do not end it; they vanish.
            if (trimmed.startsWith("#") || trimmed === "") continue;
        }
        if (continuation.test(line)) {
            out += line.replace(continuation, "");
        } else {
            out += line;
            break;
        }
    }
    return out;
}
