/**
 * The source text of one instruction `dockerfile-ast` parsed: its line, its physical lines, its
 * arguments as BuildKit sees them, and the raw values of ARG and ENV (quotes and escapes intact,
 * for the expansion rules to read).
 */
import type { Instruction, Property, PropertyInstruction } from "dockerfile-ast";

import { splitFirstWord } from "./builderFlags";
import { joinLogicalLine } from "./logicalLine";

/** 1-based line of an instruction's first physical line. */
export const lineOf = (instruction: Instruction): number => instruction.getRange().start.line + 1;

type Range = NonNullable<ReturnType<Property["getValueRange"]>>;

/** The text a parser range covers, taken from the Dockerfile itself (quotes and escapes intact). */
function textOf(text: string, range: Range): string {
    const lines = text.split("\n");
    const offset = (p: Range["start"]) => lines.slice(0, p.line).reduce((sum, l) => sum + l.length + 1, 0) + p.character;
    return text.slice(offset(range.start), offset(range.end));
}

/** Name and raw (unprocessed) value of each `NAME=value` of an ARG or ENV; value null for `ARG NAME`. */
export function rawProperties(text: string, instruction: PropertyInstruction): { name: string; raw: string | null }[] {
    return instruction.getProperties().map((property) => {
        const range = property.getValueRange();
        return { name: property.getName(), raw: range ? textOf(text, range) : property.getValue() };
    });
}

/** The physical lines an instruction spans, as written. */
export function physicalLines(text: string, instruction: Instruction): string[] {
    const range = instruction.getRange();
    return text.split("\n").slice(range.start.line, range.end.line + 1);
}

/** The text after the keyword of an instruction's logical line (continuations joined as BuildKit joins them). */
export function argumentText(text: string, instruction: Instruction, escapeChar: string): string {
    const line = joinLogicalLine(physicalLines(text, instruction), escapeChar);
    return splitFirstWord(line.trim()).rest;
}
