import { DockerfileError } from "../../infra/errors";
import { readStageFacts } from "../../infra/dockerfile/facts";
import { thrown } from "./thrown";

const FILE = "test/Dockerfile";
const read = (text: string, target?: string) => readStageFacts(text, FILE, target);
const errorOf = (text: string, target?: string) => thrown(DockerfileError, () => read(text, target));

describe("HEALTHCHECK flags, as buildkit validates them", () => {
    const withFlags = (flags: string) => `FROM scratch\nHEALTHCHECK ${flags} CMD ["true"]\n`;

    test("defaults apply when no flag is given", () => {
        const check = read(withFlags("")).healthcheck;
        expect(check).toMatchObject({ kind: "check", intervalNs: 30_000_000_000n, timeoutNs: 30_000_000_000n, startPeriodNs: 0n, startIntervalNs: 5_000_000_000n, retries: 3, line: 2 });
    });

    test("every flag is read", () => {
        const check = read(withFlags("--interval=1m --timeout=2.5s --start-period=45s --start-interval=2s --retries=7")).healthcheck;
        expect(check).toMatchObject({ intervalNs: 60_000_000_000n, timeoutNs: 2_500_000_000n, startPeriodNs: 45_000_000_000n, startIntervalNs: 2_000_000_000n, retries: 7 });
    });

    test("0 means Docker's default, for durations and retries", () => {
        const check = read(withFlags("--interval=0 --timeout=0s --retries=0")).healthcheck;
        expect(check).toMatchObject({ intervalNs: 30_000_000_000n, timeoutNs: 30_000_000_000n, retries: 3 });
    });

    test.each([
        ["--interval=30", "test/Dockerfile:2: HEALTHCHECK --interval=30: time: missing unit in duration \"30\""],
        ["--interval 30s", "Missing a value on flag: interval"],
        ["--timeout=500us", "Interval \"timeout\" cannot be less than 1ms"],
        ["--interval=-5s", "Interval \"interval\" cannot be less than 1ms"],
        ["--intervall=5s", "Unknown flag: intervall"],
        ["--interval=5s --interval=6s", "Duplicate flag specified: interval"],
        ["--retries=-1", "--retries cannot be negative (-1)"],
        ["--retries=three", "not a decimal integer"],
        ["--retries=2147483648", "value out of range"],
        ["--start-period=1d", "unknown unit \"d\""],
    ])("%s is rejected with file and line", (flags, message) => {
        const error = errorOf(withFlags(flags));
        expect(error.line).toBe(2);
        expect(error.message).toContain(message);
        expect(error.message.startsWith("test/Dockerfile:2: ")).toBe(true);
    });

    test("1ms is the smallest non-zero duration accepted", () => {
        expect(read(withFlags("--timeout=1ms")).healthcheck).toMatchObject({ timeoutNs: 1_000_000n });
    });

    test.each([
        ["HEALTHCHECK NONE extra", "HEALTHCHECK NONE takes no arguments"],
        ["HEALTHCHECK CMD", "Missing command after HEALTHCHECK CMD"],
        ["HEALTHCHECK CMD []", "Missing command after HEALTHCHECK CMD"],
        ["HEALTHCHECK RUN true", "Unknown type \"RUN\" in HEALTHCHECK (try CMD)"],
        ['HEALTHCHECK CMD ["curl", 1]', "JSON arrays in a Dockerfile must hold only strings"],
    ])("%s is rejected", (instruction, message) => {
        expect(errorOf(`FROM scratch\n${instruction}\n`).message).toContain(message);
    });
});

describe("command forms", () => {
    test("a JSON array of strings is exec form", () => {
        expect(read('FROM scratch\nHEALTHCHECK CMD ["curl", "-f", "http://localhost/"]\n').healthcheck).toMatchObject({
            command: { form: "exec", argv: ["curl", "-f", "http://localhost/"] },
        });
    });

    test("malformed JSON falls back to shell form, as in Docker", () => {
        expect(read('FROM scratch\nHEALTHCHECK CMD ["curl", -f]\n').healthcheck).toMatchObject({ command: { form: "shell", command: '["curl", -f]' } });
    });

    test("line continuations join into one shell command; the line is the instruction's first", () => {
        const facts = read("FROM scratch\n\nHEALTHCHECK --interval=5s \\\n  CMD curl -f \\\n  http://localhost:8080/ || exit 1\n");
        expect(facts.healthcheck).toMatchObject({ line: 3, intervalNs: 5_000_000_000n, command: { form: "shell" } });
        const command = facts.healthcheck?.kind === "check" ? facts.healthcheck.command : undefined;
        expect(command?.form === "shell" && command.command.replace(/\s+/g, " ")).toBe("curl -f http://localhost:8080/ || exit 1");
    });

    test("the escape directive changes the continuation character", () => {
        const facts = read("# escape=`\nFROM scratch\nHEALTHCHECK --timeout=4s `\n  CMD [\"true\"]\n");
        expect(facts.healthcheck).toMatchObject({ kind: "check", line: 3, timeoutNs: 4_000_000_000n, command: { form: "exec", argv: ["true"] } });
    });

    test("HEALTHCHECK NONE is recorded", () => {
        expect(read("FROM scratch\nHEALTHCHECK NONE\n").healthcheck).toEqual({ kind: "none", line: 2 });
    });
});

describe("stages and inheritance", () => {
    const multiStage = [
        "ARG BASE=python:3.12",
        "FROM ${BASE} AS base",
        "ENV PORT=8000",
        'SHELL ["/bin/bash", "-c"]',
        "USER 1000:1000",
        "EXPOSE 8000",
        "HEALTHCHECK --interval=10s CMD curl -f http://localhost:$PORT/",
        "HEALTHCHECK --interval=20s CMD curl -f http://localhost:$PORT/health",
        'CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]',
        "FROM base AS child",
        "ENV EXTRA=1",
        "FROM ${BASE} AS other",
        "USER 2000",
        "",
    ].join("\n");

    test("the last HEALTHCHECK of a stage wins", () => {
        expect(read(multiStage, "base").healthcheck).toMatchObject({ line: 8, intervalNs: 20_000_000_000n });
    });

    test("FROM <earlier stage> inherits HEALTHCHECK, USER, EXPOSE, ENV, SHELL and CMD", () => {
        const facts = read(multiStage, "child");
        expect(facts.healthcheck).toMatchObject({ line: 8 });
        expect(facts.user).toEqual({ value: "1000:1000", line: 5 });
        expect(facts.exposedPorts).toEqual([{ port: 8000, protocol: "tcp", line: 6 }]);
        expect(facts.shell).toEqual(["/bin/bash", "-c"]);
        expect(facts.variables.get("PORT")).toEqual({ value: "8000", source: "ENV", line: 3 });
        expect(facts.variables.get("EXTRA")?.value).toBe("1");
        expect(facts.cmd).toMatchObject({ form: "exec", line: 9 });
        expect(facts.baseImage).toBe("${BASE}");
    });

    test("a stage on an external image inherits nothing from other stages", () => {
        const facts = read(multiStage, "other");
        expect(facts.healthcheck).toBeUndefined();
        expect(facts.user).toEqual({ value: "2000", line: 13 });
        expect(facts.shell).toEqual(["/bin/sh", "-c"]);
    });

    test("the default target is the last stage, and targets match case-insensitively", () => {
        expect(read(multiStage).stage).toBe("other");
        expect(read(multiStage, "CHILD").stage).toBe("child");
    });

    test("an unknown target names the stages", () => {
        expect(errorOf(multiStage, "runtime").message).toBe('test/Dockerfile: build target "runtime" is not a stage of this Dockerfile (stages: base, child, other)');
    });

    test("USER and EXPOSE expand build variables", () => {
        const facts = read("FROM scratch\nARG UID=1234\nENV APP_PORT=9000\nUSER ${UID}:${UID}\nEXPOSE ${APP_PORT}/udp\n");
        expect(facts.user?.value).toBe("1234:1234");
        expect(facts.exposedPorts).toEqual([{ port: 9000, protocol: "udp", line: 5 }]);
        expect(facts.variables.get("UID")?.source).toBe("ARG");
    });

    test("ENTRYPOINT in a child stage resets an inherited CMD", () => {
        const facts = read('FROM scratch AS a\nCMD ["serve"]\nFROM a\nENTRYPOINT ["app"]\n');
        expect(facts.entrypoint).toMatchObject({ form: "exec", argv: ["app"] });
        expect(facts.cmd).toBeUndefined();
    });

    test("a Dockerfile without FROM is an error", () => {
        expect(errorOf("ARG A=1\n").message).toContain("no FROM instruction");
        expect(errorOf("HEALTHCHECK NONE\n").message).toBe("test/Dockerfile:1: HEALTHCHECK before the first FROM: no build stage in current context (only ARG may come before FROM)");
    });
});

describe("build-time words: quotes, escapes, several variables per instruction", () => {
    test("every NAME=value of one ARG or ENV is read", () => {
        const facts = read("FROM scratch\nARG A=1 B=9000\nENV PORT=$B HOST=h\n");
        expect(facts.variables.get("A")).toEqual({ value: "1", source: "ARG", line: 2 });
        expect(facts.variables.get("B")).toEqual({ value: "9000", source: "ARG", line: 2 });
        expect(facts.variables.get("PORT")).toEqual({ value: "9000", source: "ENV", line: 3 });
        expect(facts.variables.get("HOST")?.value).toBe("h");
    });

    test("escaped and single-quoted $ stay literal; double quotes expand", () => {
        const facts = read("FROM scratch\nENV X=1\nENV A=\\$X B='$X' C=\"$X-y\" D=a\\ b E=\"q\\\"uote\"\n");
        expect(["A", "B", "C", "D", "E"].map((n) => facts.variables.get(n)?.value)).toEqual(["$X", "$X", "1-y", "a b", 'q"uote']);
    });

    test("an ENV wins over a later ARG of the same name, as Docker documents", () => {
        const facts = read("FROM scratch\nENV PORT=8000\nARG PORT=9000\n");
        expect(facts.variables.get("PORT")).toEqual({ value: "8000", source: "ENV", line: 2 });
    });

    test("a stage's ARG NAME takes the global default; global ARGs can use earlier ones", () => {
        const facts = read("ARG BASE=alpine\nARG TAG=${BASE}-3\nFROM scratch\nARG TAG\nUSER ${TAG}\n");
        expect(facts.user?.value).toBe("alpine-3");
    });
});

describe("Docker is the parser of record (issue 10)", () => {
    const withFlags = (flags: string) => `FROM scratch\nHEALTHCHECK ${flags} CMD ["true"]\n`;

    test("flag values in quotes are unquoted byte by byte, as split_command.go extractBuilderFlags does", () => {
        expect(read(withFlags('--interval="5s" --timeout=\'2s\' --retries="4"')).healthcheck).toMatchObject({ intervalNs: 5_000_000_000n, timeoutNs: 2_000_000_000n, retries: 4 });
        expect(read(withFlags('--interval=1"5"s')).healthcheck).toMatchObject({ intervalNs: 15_000_000_000n });
    });

    test("a flag value is read byte by byte, so a non-ASCII unit (µs, μs) is refused", () => {
        expect(errorOf(withFlags("--timeout=5000000µs")).message).toContain("unknown unit");
        expect(errorOf(withFlags("--timeout=5000000\u03bcs")).message).toContain("unknown unit");
    });

    test("a `--` word ends the flag list", () => {
        expect(read(withFlags("--interval=7s -- ")).healthcheck).toMatchObject({ intervalNs: 7_000_000_000n, command: { form: "exec", argv: ["true"] } });
    });

    test("a continuation joins a flag value without a space, as the BuildKit parser joins lines", () => {
        expect(read("FROM scratch\nHEALTHCHECK --interval=1\\\n5s CMD [\"true\"]\n").healthcheck).toMatchObject({ intervalNs: 15_000_000_000n });
    });

    test("every instruction of every stage is validated, not only the target's chain", () => {
        const text = "FROM scratch AS broken\nHEALTHCHECK --interval=5 CMD true\nFROM scratch AS app\nHEALTHCHECK CMD true\n";
        expect(errorOf(text, "app").message).toBe('test/Dockerfile:2: HEALTHCHECK --interval=5: time: missing unit in duration "5"; use a Go duration with a unit (ns, us, ms, s, m, h), e.g. --interval=30s or 1m30s');
    });

    test("FROM <stage> matches stage names case-sensitively (convert.go addState); --target does not (findStateByName)", () => {
        const error = errorOf("FROM scratch AS base\nHEALTHCHECK CMD true\nFROM BASE\n");
        expect(error.line).toBe(3);
        expect(error.message).toContain('"BASE"');
        expect(read("FROM scratch AS base\nHEALTHCHECK CMD true\nFROM base AS app\n", "APP").healthcheck).toMatchObject({ line: 2 });
    });

    test("a heredoc in HEALTHCHECK is refused: its body lines are unknown instructions", () => {
        const error = errorOf("FROM scratch\nHEALTHCHECK CMD <<EOF\ncurl -f http://localhost/\nEOF\n");
        expect(error.line).toBe(3);
        expect(error.message).toContain("unknown instruction: curl");
    });

    test("an unknown instruction is refused, in any stage", () => {
        expect(errorOf("FROM scratch AS a\nFOO bar\nFROM scratch\nHEALTHCHECK CMD true\n").message).toBe("test/Dockerfile:2: unknown instruction: FOO (valid: ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR)");
    });

    test("ENV (anything but ARG) before the first FROM is refused", () => {
        const error = errorOf("ENV A=1\nFROM scratch\nHEALTHCHECK CMD true\n");
        expect(error.line).toBe(1);
        expect(error.message).toContain("no build stage in current context");
    });

    test("nested defaults expand as BuildKit's lexer expands them, in USER too", () => {
        const facts = read("FROM scratch\nARG B=1000\nUSER ${A:-${B}}:${C:-${D:-2000}}\nENV X=${A:-${B}/x}y\n");
        expect(facts.user?.value).toBe("1000:2000");
        expect(facts.variables.get("X")?.value).toBe("1000/xy");
    });
});

// Debian's Docker 20.10 follows older rules for these; the differential test leaves them out and
// these assertions state the current BuildKit rule (frontend/dockerfile/instructions/parse.go
// `parseOptInterval`/`parseHealthcheck`, parser/line_parsers.go `parseJSON`).
describe("current BuildKit rules where Docker 20.10 differs", () => {
    test("a zero duration means the default (20.10: 'cannot be less than 1ms')", () => {
        expect(read('FROM scratch\nHEALTHCHECK --interval=0s --timeout=0 CMD ["true"]\n').healthcheck).toMatchObject({ intervalNs: 30_000_000_000n, timeoutNs: 30_000_000_000n });
    });
    test("--retries=0 means the default (20.10: '--retries must be at least 1')", () => {
        expect(read('FROM scratch\nHEALTHCHECK --retries=0 CMD ["true"]\n').healthcheck).toMatchObject({ retries: 3 });
    });
    test("--start-interval is a flag (BuildKit dockerfile frontend 1.6 / Docker 25; 20.10: 'Unknown flag')", () => {
        expect(read('FROM scratch\nHEALTHCHECK --start-period=5s --start-interval=2s CMD ["true"]\n').healthcheck).toMatchObject({ startIntervalNs: 2_000_000_000n });
    });
    test("text after a JSON array makes it shell form (json.Unmarshal; 20.10 read the array and dropped the text)", () => {
        expect(read('FROM scratch\nHEALTHCHECK CMD ["true"] x\n').healthcheck).toMatchObject({ command: { form: "shell", command: '["true"] x' } });
    });
});
