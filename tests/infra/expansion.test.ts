import { defaultOrAlternative, expandBuildVariables, expandShellParameter } from "../../infra/dockerfile/expansion";

const lookupOf = (value: string | undefined) => (name: string) => (name === "A" ? value : undefined);
const refuse = (name: string): never => {
    throw new Error(`unset: ${name}`);
};

describe("${A-w}, ${A:-w}, ${A+w}, ${A:+w}: one meaning at build time and at run time", () => {
    const cases = [undefined, "", "v"].flatMap((value) => ["-", ":-", "+", ":+"].map((operator) => [value, operator] as const));
    test.each(cases)("A=%j, operator %s", (value, operator) => {
        const build = expandBuildVariables(`\${A${operator}w}`, lookupOf(value), "\\");
        const run = expandShellParameter(`A${operator}w`, lookupOf(value), refuse);
        expect(run).toBe(build);
        expect(build).toBe(defaultOrAlternative(operator.endsWith("-") ? "-" : "+", operator.startsWith(":"), value, "w"));
    });

    test("POSIX's table", () => {
        expect([defaultOrAlternative("-", true, "", "w"), defaultOrAlternative("-", false, "", "w"), defaultOrAlternative("-", false, undefined, "w")]).toEqual(["w", "", "w"]);
        expect([defaultOrAlternative("+", true, "", "w"), defaultOrAlternative("+", false, "", "w"), defaultOrAlternative("+", false, "v", "w")]).toEqual(["", "w", "w"]);
    });
});

describe("where the two rules differ", () => {
    test("an unset name: empty at build time, the caller's answer at run time", () => {
        expect(expandBuildVariables("x${A}y", lookupOf(undefined), "\\")).toBe("xy");
        expect(() => expandShellParameter("A", lookupOf(undefined), refuse)).toThrow("unset: A");
        expect(expandShellParameter("A", lookupOf(undefined), () => "?")).toBe("?");
        expect(expandShellParameter("A", lookupOf("v"), refuse)).toBe("v");
    });

    test("other modifiers are BuildKit's at build time; at run time the whole text is a name nobody sets", () => {
        expect(expandBuildVariables("${A#v}", lookupOf("vw"), "\\")).toBe("w");
        expect(() => expandShellParameter("A#v", lookupOf("vw"), refuse)).toThrow("unset: A#v");
        expect(() => expandShellParameter("A:?x", lookupOf("v"), refuse)).toThrow("unset: A:?x");
    });

    test("a word is expanded at build time, literal at run time (the caller refuses nesting)", () => {
        expect(expandBuildVariables("${B:-${A}}", lookupOf("v"), "\\")).toBe("v");
        expect(expandShellParameter("B:-$A", lookupOf("v"), refuse)).toBe("$A");
    });
});
