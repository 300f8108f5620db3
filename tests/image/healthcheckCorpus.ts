/**
 * A bounded, seeded corpus of Dockerfiles that exercise HEALTHCHECK parsing: flags and Go
 * durations (valid, invalid, quoted, non-ASCII), `--`, continuations, the escape directive,
 * exec/shell/NONE forms and several stages. Pure: the same seed gives the same corpus.
 */

import { seededRandom } from "../lib/seededRandom";

/** A rule current BuildKit follows and Debian's Docker 20.10 does not, with where it is written. */
export interface CurrentRule {
    rule: string;
    /** moby/buildkit file and function, and the release that changed it. */
    source: string;
}

/**
 * A generated Dockerfile. When it touches a rule that changed after Docker 20.10, the case says
 * which, and carries the same meaning written for 20.10 (`legacyDockerfile`), so the engine can
 * still be compared: the package reads `dockerfile` by the current rule, the engine reads
 * `legacyDockerfile`, and the fields the old engine cannot record are stated here.
 */
export interface CorpusCase {
    index: number;
    dockerfile: string;
    currentRules: CurrentRule[];
    /** The Dockerfile with each current-rule form rewritten to its 20.10 equivalent (same as `dockerfile` when none). */
    legacyDockerfile: string;
    /** The health `Test` the current rule gives when the check is accepted (text after a JSON array → CMD-SHELL). */
    expectTest?: string[];
    /** `--start-interval` as the current rule reads it: nanoseconds, or refused (below 1ms). */
    expectStartIntervalNs?: bigint | "refused";
}

const RULES = {
    zeroDuration: { rule: "zero duration means the default", source: "frontend/dockerfile/instructions/parse.go parseOptInterval (`d == 0` → 0; 20.10's vendored BuildKit v0.8 refused it as below 1ms)" },
    zeroRetries: { rule: "--retries=0 means the default", source: "frontend/dockerfile/instructions/parse.go parseHealthcheck (`retries < 0` refused; v0.8 refused `retries < 1`)" },
    startInterval: { rule: "--start-interval is a known flag", source: "frontend/dockerfile/instructions/parse.go parseHealthcheck flStartInterval (BuildKit v0.12 / Docker 25; v0.8: Unknown flag)" },
    trailingJson: { rule: "text after a JSON array is shell form", source: "frontend/dockerfile/parser/line_parsers.go parseJSON (json.Unmarshal; v0.8 used a json.Decoder that ignored the rest)" },
    copyLink: { rule: "COPY --link is a known flag", source: "frontend/dockerfile/instructions/parse.go parseCopy flLink (Dockerfile 1.4 / BuildKit v0.10; v0.8: Unknown flag)" },
    runNetwork: { rule: "RUN --network is a known flag", source: "frontend/dockerfile/instructions/commands_runnetwork.go (stable in Dockerfile 1.3 / BuildKit v0.9; v0.8 without labs: Unknown flag)" },
    multiArg: { rule: "ARG takes several names", source: "frontend/dockerfile/instructions/parse.go parseArg (`len(req.args) < 1`; v0.8: exactly one argument)" },
} satisfies Record<string, CurrentRule>;

/** An extra instruction: as written, its 20.10 equivalent when a current rule applies, and where it may go. */
interface Extra {
    text: string;
    legacy?: string;
    rule?: CurrentRule;
    /** `side`: only in a stage the target does not build (BuildKit parses it but never runs it), e.g. RUN on scratch. */
    where: "any" | "side";
}

/** Valid and invalid forms of other instructions; the build context holds one file, `a`. */
const EXTRAS: readonly Extra[] = [
    { text: "USER app", where: "any" },
    { text: "USER", where: "any" },
    { text: "ENV FOO=bar BAZ=qux", where: "any" },
    { text: "ENV FOO bar baz", where: "any" },
    { text: "ENV FOO", where: "any" },
    { text: "ENV A=1 B", where: "any" },
    { text: "LABEL a=b", where: "any" },
    { text: "LABEL a", where: "any" },
    { text: "COPY a /a", where: "any" },
    { text: "COPY --chown=1:1 a /c", where: "any" },
    { text: "COPY onlyone", where: "any" },
    { text: "COPY --from a /b", where: "any" },
    { text: "COPY --bogus=1 a /b", where: "any" },
    { text: "COPY --link a /l", legacy: "COPY a /l", rule: RULES.copyLink, where: "any" },
    { text: "ADD a /b", where: "any" },
    { text: "ADD --bogus=1 a b", where: "any" },
    { text: "ADD onlyone", where: "any" },
    { text: "RUN true", where: "side" },
    { text: "RUN --mount=type=tmpfs,target=/t true", where: "side" },
    { text: "RUN --bogus=1 true", where: "any" },
    { text: "RUN --network=none true", legacy: "RUN true", rule: RULES.runNetwork, where: "side" },
    { text: "STOPSIGNAL SIGTERM", where: "any" },
    { text: "STOPSIGNAL", where: "any" },
    { text: "ONBUILD RUN echo hi", where: "any" },
    { text: "ONBUILD FROM x", where: "any" },
    { text: "ONBUILD ONBUILD RUN x", where: "any" },
    { text: "EXPOSE 8080 53/udp", where: "any" },
    { text: "EXPOSE", where: "any" },
    { text: "WORKDIR /srv", where: "side" },
    { text: "WORKDIR", where: "any" },
    { text: "VOLUME /data", where: "any" },
    { text: "VOLUME", where: "any" },
    { text: "ARG X=1", where: "any" },
    { text: "ARG", where: "any" },
    { text: "ARG P Q=2", legacy: "ARG P\nARG Q=2", rule: RULES.multiArg, where: "any" },
    { text: "CMD --x=1 true", where: "any" },
    // Only RUN, COPY and ADD take heredocs: the terminator line is an instruction of its own.
    { text: "HEALTHCHECK CMD cat <<USER\nUSER", where: "any" },
    { text: "HEALTHCHECK CMD cat <<EXPOSE\nEXPOSE", where: "any" },
];
const SIDE_NAMES = ["side", "side", "Side.2_x-y", "1bad", "a:b"];

const DURATIONS = [
    "5s", "1m30s", "1.5s", "300ms", "2h", "1ms", "45s", "10s", "1h2m3s", ".5s", "1.000000001s", "+3s", "2562047h",
    // refused by every version
    "500us", "-5s", "30", "1d", "5000000µs", "5000000μs", "5 s", "s", "1e3ms", "9999999999h", "",
];
const RETRIES = ["1", "3", "7", "+2", "2147483647", "-1", "three", "2147483648", "1.5", ""];
const EXEC = ['["true"]', '["curl", "-f", "http://localhost:8000/health"]', '[ "a b" , "c" ]', '["x", 1]', "[]", '["unterminated"', "['single']"];
const SHELL = ["true", "curl -f http://localhost:8000/ || exit 1", "test $$ -gt 0 && echo \"$?\"", "a   b\tc", "echo 'quoted  text'", "wget -qO- http://127.0.0.1/ "];

/**
 * @param seed printable seed
 * @param count number of cases
 */
export function healthcheckCorpus(seed: string, count: number): CorpusCase[] {
    const next = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const chance = (p: number) => next() < p;
    const cases: CorpusCase[] = [];
    for (let index = 0; index < count; index++) {
        const rules = new Set<CurrentRule>();
        let expectTest: string[] | undefined;
        let expectStartIntervalNs: bigint | "refused" | undefined;
        const backtick = chance(0.2);
        const escape = backtick ? "`" : "\\";
        /** Flag words as written, and as 20.10 would need them for the same meaning (undefined: dropped). */
        const flagWords: { text: string; legacy?: string }[] = [];
        for (const name of ["interval", "timeout", "start-period", "retries"]) {
            if (!chance(0.45)) continue;
            let value = name === "retries" ? pick(RETRIES) : pick(DURATIONS);
            if (chance(0.1)) value = name === "retries" ? "0" : pick(["0", "0s", "0ms"]);
            const quoted = chance(0.25) ? pick([`"${value}"`, `'${value}'`, `${value.slice(0, 1)}"${value.slice(1)}"`]) : value;
            const spaced = chance(0.05);
            const text = spaced ? `--${name} ${quoted}` : `--${name}=${quoted}`;
            // A zero value means "default" now; 20.10 refused it, so its equivalent is no flag. A spaced
            // flag is refused by both for its missing value, so it stays.
            if (!spaced && /^(0|0s|0ms)$/.test(value)) {
                rules.add(name === "retries" ? RULES.zeroRetries : RULES.zeroDuration);
                flagWords.push({ text });
            } else flagWords.push({ text, legacy: text });
        }
        if (chance(0.06)) {
            const value = pick(["2s", "0", "1ns"]);
            flagWords.push({ text: `--start-interval=${value}` });
            rules.add(RULES.startInterval);
            expectStartIntervalNs = value === "2s" ? 2_000_000_000n : value === "0" ? 5_000_000_000n : "refused";
        }
        if (chance(0.05)) {
            const bad = pick(["--intervall=5s", "--interval=1s --interval=2s", "-interval=5s"]);
            flagWords.push({ text: bad, legacy: bad });
        }
        if (chance(0.15)) flagWords.push({ text: "--", legacy: "--" });
        const kind = pick(["exec", "exec", "shell", "shell", "none", "cmd-only"]);
        let body: string;
        let legacyBody: string | undefined;
        // HEALTHCHECK NONE never parses its flags (parseHealthcheck), so --start-interval states nothing there.
        if (kind === "none") expectStartIntervalNs = undefined;
        if (kind === "none") body = chance(0.8) ? "NONE" : "none";
        else if (kind === "cmd-only") body = pick(["CMD", "CMD ", "RUN true"]);
        else if (kind === "exec") {
            body = `${pick(["CMD", "cmd"])} ${pick(EXEC)}`;
            if (chance(0.1)) {
                body += " trailing";
                rules.add(RULES.trailingJson);
                // 20.10 cannot write this reading; the engine sees a shell command and the Test is stated.
                expectTest = ["CMD-SHELL", body.slice(body.indexOf(" ") + 1)];
                legacyBody = "CMD placeholder";
            }
        } else body = `CMD ${pick(SHELL)}`;
        // Continuations between words, as written by hand; sometimes one inside a value.
        const breaks = [...flagWords, { text: body }].map(() => chance(0.25));
        const join = (words: (string | undefined)[]) => {
            let line = "HEALTHCHECK";
            words.forEach((word, i) => {
                if (word !== undefined) line += (breaks[i] ? ` ${escape}\n    ` : " ") + word;
            });
            return line;
        };
        let line = join([...flagWords.map((w) => w.text), body]);
        let legacyLine = join([...flagWords.map((w) => w.legacy), legacyBody ?? body]);
        if (chance(0.08)) [line, legacyLine] = [line, legacyLine].map((l) => l.replace(/(--interval=\d)/, `$1${escape}\n`));
        if (chance(0.08)) [line, legacyLine] = [line, legacyLine].map((l) => l.replace(` ${escape}\n    `, ` ${escape}\n# a comment\n\n    `));

        // Other instructions, in the target or in a stage the target does not use.
        const targetExtras: Extra[] = [];
        const sideExtras: Extra[] = [];
        if (chance(0.45)) {
            for (let n = 1 + Math.floor(next() * 2); n > 0; n--) {
                const extra = pick(EXTRAS);
                (extra.where === "side" || chance(0.5) ? sideExtras : targetExtras).push(extra);
                if (extra.rule) rules.add(extra.rule);
            }
        }
        const sideName = sideExtras.length > 0 || chance(0.05) ? pick(SIDE_NAMES) : undefined;
        const render = (legacy: boolean) => {
            const extra = (extras: Extra[]) => extras.map((e) => `${legacy && e.legacy !== undefined ? e.legacy : e.text}\n`).join("");
            const hc = legacy ? legacyLine : line;
            const stages: string[] = [];
            if (sideName !== undefined) stages.push(`FROM scratch AS ${sideName}\n${extra(sideExtras)}`);
            if (withBase) {
                // An earlier stage: its HEALTHCHECK is validated too, and a child may inherit it.
                stages.push(`FROM scratch AS base\nHEALTHCHECK ${baseCheck}\n`);
                stages.push(`FROM ${parent} AS app\n${hc}\n${extra(targetExtras)}`);
            } else stages.push(`FROM scratch\n${hc}\n${extra(targetExtras)}`);
            return (backtick ? "# escape=`\n" : "") + stages.join("");
        };
        const withBase = chance(0.3);
        const baseCheck = withBase ? pick(['--interval=3s CMD ["base"]', '--interval=3 CMD ["bad"]', "NONE"]) : "";
        const parent = withBase ? pick(["base", "scratch"]) : "";
        cases.push({ index, dockerfile: render(false), legacyDockerfile: render(true), currentRules: [...rules], expectTest, expectStartIntervalNs });
    }
    return cases;
}
