// Per-instruction argument and flag rules, as BuildKit's instructions.Parse applies them to every
// stage (moby/buildkit frontend/dockerfile/instructions/parse.go, parser/line_parsers.go, bflag.go).
import { DockerfileError } from "../../infra/errors";
import { readStageFacts } from "../../infra/dockerfile/facts";
import { thrown } from "./thrown";

const FILE = "test/Dockerfile";
const TAIL = 'HEALTHCHECK CMD ["true"]\n';
const read = (text: string) => readStageFacts(text, FILE);
const errorOf = (text: string) => thrown(DockerfileError, () => read(text));

describe("every instruction of every stage is checked as BuildKit's parse.go checks it", () => {
    test.each([
        ["USER", "USER requires exactly one argument"],
        ["ENV FOO", "ENV must have two arguments"],
        ["ENV", "ENV requires at least one argument"],
        ["ENV A=1 B", 'Syntax error - can\'t find = in "B". Must be of the form: name=value'],
        ["ENV =1", "ENV names can not be blank"],
        ["LABEL", "LABEL requires at least one argument"],
        ["LABEL a", "LABEL must have two arguments"],
        ["COPY onlyone", "COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
        ["ADD onlyone", "ADD requires at least two arguments, but only one was provided. Destination could not be determined"],
        ["ADD --bogus=1 a b", "Unknown flag: bogus"],
        ["COPY --from a b", "Missing a value on flag: from"],
        ["COPY --link=maybe a b", "Expecting boolean value for flag link, not: maybe"],
        ["COPY --keep-git-dir a b", "Unknown flag: keep-git-dir"],
        ["COPY --chown=1 --chown=2 a b", "Duplicate flag specified: chown"],
        ["RUN --bogus true", "Unknown flag: bogus"],
        ["RUN --network=bridge true", 'network mode "bridge" not supported'],
        ["RUN --security=maybe true", 'security "maybe" is not valid'],
        ["CMD --x=1 true", "Unknown flag: x"],
        ["ONBUILD FROM x", "FROM isn't allowed as an ONBUILD trigger"],
        ["ONBUILD maintainer me", "MAINTAINER isn't allowed as an ONBUILD trigger"],
        ["ONBUILD ONBUILD RUN x", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
        ["ONBUILD", "ONBUILD requires at least one argument"],
        ["ONBUILD ENV X", "ENV must have two arguments"],
        ["STOPSIGNAL", "STOPSIGNAL requires exactly one argument"],
        ["EXPOSE", "EXPOSE requires at least one argument"],
        ["WORKDIR", "WORKDIR requires exactly one argument"],
        ["WORKDIR --x=1 /a", "Unknown flag: x"],
        ["VOLUME", "VOLUME requires at least one argument"],
        ['VOLUME [" "]', "VOLUME specified can not be an empty string"],
        ["ARG", "ARG requires at least one argument"],
        ["ARG =x", "ARG names can not be blank"],
        ["MAINTAINER", "MAINTAINER requires exactly one argument"],
        ["SHELL --x=1 [\"sh\"]", "Unknown flag: x"],
        ['RUN ["a", 1]', "when using JSON array syntax, arrays must be comprised of strings only"],
        ['COPY ["a", 1, "/b"]', "when using JSON array syntax, arrays must be comprised of strings only"],
    ])("%s in a stage the target does not use is refused: %s", (instruction, message) => {
        const error = errorOf(`FROM scratch AS other\n${instruction}\nFROM scratch\n${TAIL}`);
        expect(error.message).toBe(`${FILE}:2: ${message}`);
    });

    test.each([
        ["FROM scratch AS 1bad", 'invalid name for build stage: "1bad", name can\'t start with a number or contain symbols'],
        ["FROM scratch AS a:b", 'invalid name for build stage: "a:b", name can\'t start with a number or contain symbols'],
        ["FROM scratch AS", "FROM requires either one or three arguments"],
        ["FROM scratch base", "FROM requires either one or three arguments"],
        ["FROM --platform scratch", "Missing a value on flag: platform"],
        // The stage name is checked before the flags: `--platform linux/amd64` leaves two arguments.
        ["FROM --platform linux/amd64 scratch", "FROM requires either one or three arguments"],
        ["FROM --bogus=1 scratch", "Unknown flag: bogus"],
    ])("%s is refused: %s", (from, message) => {
        expect(errorOf(`${from}\n${TAIL}`).message).toBe(`${FILE}:1: ${message}`);
    });

    test.each([
        "USER app",
        "USER app group extra",
        "ENV FOO bar baz",
        'ENV A=1 B="two words"',
        "LABEL a=b c=d",
        "COPY a b",
        '["a", "b"]'.replace(/^/, "COPY "),
        "COPY --from=other --chown=1:1 --chmod=644 --link a /b",
        "COPY --link=false --parents --exclude=x --exclude=y a /b",
        "ADD --keep-git-dir=true --checksum=sha256:0 --link a /b",
        "RUN --mount=type=cache,target=/c --network=none --security=sandbox true",
        "RUN",
        "ONBUILD RUN echo hi",
        "STOPSIGNAL SIGTERM",
        "STOPSIGNAL --anything SIGTERM",
        "EXPOSE 80 443/udp",
        "WORKDIR /srv/app",
        "VOLUME /data /cache",
        "ARG A B=2",
        "MAINTAINER me <me@example.com>",
        "FROM --platform=linux/amd64 scratch AS Mixed.Case_name-1",
    ])("%s is accepted", (instruction) => {
        expect(read(`FROM scratch AS other\n${instruction}\nFROM scratch\n${TAIL}`).healthcheck).toMatchObject({ kind: "check" });
    });

    test("a HEALTHCHECK heredoc whose terminator is an instruction keyword: the terminator line is an instruction (USER with no argument)", () => {
        // Only RUN, COPY and ADD take heredocs (BuildKit parser.go heredocsAllowed), so `USER` alone is an instruction.
        expect(errorOf("FROM scratch\nHEALTHCHECK CMD cat <<USER\nUSER\n").message).toBe(`${FILE}:3: USER requires exactly one argument`);
    });

    test("a RUN heredoc body is not read as instructions", () => {
        expect(read(`FROM scratch AS other\nRUN <<EOF\nUSER\nENV X\nEOF\nFROM scratch\n${TAIL}`).healthcheck).toMatchObject({ kind: "check" });
    });

    test("the first refused instruction is the one reported", () => {
        expect(errorOf(`FROM scratch\nUSER\nBOGUS x\n${TAIL}`).line).toBe(2);
    });
});

describe("build-time expansion follows BuildKit's shell/lex.go modifiers", () => {
    const user = (word: string, env = "") => read(`FROM scratch\n${env}USER ${word}\n${TAIL}`).user?.value;

    test.each([
        ["${A?err}", 'failed to process "${A?err}": A: err'],
        ["${A?}", 'failed to process "${A?}": A: is not allowed to be unset'],
        ["${A:=x}", 'failed to process "${A:=x}": unsupported modifier (:=) in substitution'],
        ["${A^x}", "unsupported modifier (^) in substitution"],
        ["${}", "syntax error: bad substitution"],
        ["${:a}", "syntax error: bad substitution"],
        // lex.go reads the modifier after the name; at the end of the word that is Go's EOF rune, U+FFFD.
        ["${A", "unsupported modifier (\uFFFD) in substitution"],
        ["${A:-x", "syntax error: missing '}'"],
        ["${A/x", "syntax error: missing '/' in ${}"],
        ["'open", "unexpected end of statement while looking for matching single-quote"],
        ['"open', "unexpected end of statement while looking for matching double-quote"],
    ])("USER %s is refused: %s", (word, message) => {
        const error = errorOf(`FROM scratch\nUSER ${word}\n${TAIL}`);
        expect(error.line).toBe(2);
        expect(error.message).toContain(message);
        expect(error.message.startsWith(`${FILE}:2: failed to process ${JSON.stringify(word)}: `)).toBe(true);
    });

    test("${A:?msg} refuses a set but empty variable", () => {
        expect(errorOf(`FROM scratch\nENV A=\nUSER \${A:?need A}\n${TAIL}`).message).toContain("A: need A");
    });

    test.each([
        ["${A?err}", "ENV A=x\n", "x"],
        ["${A#*.}", "ENV A=a.b.c\n", "b.c"],
        ["${A##*.}", "ENV A=a.b.c\n", "c"],
        ["${A%.*}", "ENV A=a.b.c\n", "a.b"],
        ["${A%%.*}", "ENV A=a.b.c\n", "a"],
        ["${A/b/X}", "ENV A=abcb\n", "aXcb"],
        ["${A//b/X}", "ENV A=abcb\n", "aXcX"],
        ["${A/?c/}", "ENV A=abcb\n", "ab"],
        ["${A#x}", "", ""],
        ["${A:-${B:-deep}}", "", "deep"],
        ["$1x", "", "x"],
        ["a'$A'b", "ENV A=v\n", "a$Ab"],
    ])("USER %s after %j reads %j", (word, env, expected) => {
        expect(user(word, env)).toBe(expected);
    });
});
