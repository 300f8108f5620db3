/**
 * A bounded, seeded corpus of Dockerfiles that exercise HEALTHCHECK parsing: flags and Go
 * durations (valid, invalid, quoted, non-ASCII), `--`, continuations, the escape directive,
 * exec/shell/NONE forms and several stages. Pure: the same seed gives the same corpus.
 */

/** A generated Dockerfile and, when Debian's Docker 20.10 predates the current BuildKit rule it touches, which rule. */
export interface CorpusCase {
    index: number;
    dockerfile: string;
    /** Set when the engine under test (20.10) follows an older rule; the case is then not compared with it. */
    currentRuleOnly?: string;
}

/** mulberry32: a small seeded PRNG, so a printed seed reproduces the corpus. */
function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A printable seed → a 32-bit number. */
export function seedNumber(seed: string): number {
    let h = 2166136261;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
    return h >>> 0;
}

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
    const next = random(seedNumber(seed));
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
    const chance = (p: number) => next() < p;
    const cases: CorpusCase[] = [];
    for (let index = 0; index < count; index++) {
        const stated: string[] = [];
        const backtick = chance(0.2);
        const escape = backtick ? "`" : "\\";
        const flagWords: string[] = [];
        for (const name of ["interval", "timeout", "start-period", "retries"]) {
            if (!chance(0.45)) continue;
            let value = name === "retries" ? pick(RETRIES) : pick(DURATIONS);
            if (chance(0.1)) value = name === "retries" ? "0" : pick(["0", "0s", "0ms"]);
            if (/^(0|0s|0ms)$/.test(value)) stated.push(name === "retries" ? "--retries=0" : "zero duration");
            const quoted = chance(0.25) ? pick([`"${value}"`, `'${value}'`, `${value.slice(0, 1)}"${value.slice(1)}"`]) : value;
            flagWords.push(chance(0.05) ? `--${name} ${quoted}` : `--${name}=${quoted}`);
        }
        if (chance(0.06)) {
            flagWords.push(`--start-interval=${pick(["2s", "0", "1ns"])}`);
            stated.push("--start-interval");
        }
        if (chance(0.05)) flagWords.push(pick(["--intervall=5s", "--interval=1s --interval=2s", "-interval=5s"]));
        if (chance(0.15)) flagWords.push("--");
        const kind = pick(["exec", "exec", "shell", "shell", "none", "cmd-only"]);
        let body: string;
        if (kind === "none") body = chance(0.8) ? "NONE" : "none";
        else if (kind === "cmd-only") body = pick(["CMD", "CMD ", "RUN true"]);
        else if (kind === "exec") {
            body = `${pick(["CMD", "cmd"])} ${pick(EXEC)}`;
            if (chance(0.1)) {
                body += " trailing";
                stated.push("text after a JSON array");
            }
        } else body = `CMD ${pick(SHELL)}`;
        let words = [...flagWords, body];
        // Continuations between words, as written by hand; sometimes one inside a value.
        let line = "HEALTHCHECK";
        for (const word of words) line += (chance(0.25) ? ` ${escape}\n    ` : " ") + word;
        if (chance(0.08)) line = line.replace(/(--interval=\d)/, `$1${escape}\n`);
        if (chance(0.08)) line = line.replace(` ${escape}\n    `, ` ${escape}\n# a comment\n\n    `);
        const stages: string[] = [];
        if (chance(0.3)) {
            // An earlier stage: its HEALTHCHECK is validated too, and a child may inherit it.
            stages.push(`FROM scratch AS base\nHEALTHCHECK ${pick(['--interval=3s CMD ["base"]', "--interval=3 CMD [\"bad\"]", "NONE"])}\n`);
            stages.push(`FROM ${pick(["base", "scratch"])} AS app\n${line}\n`);
        } else {
            stages.push(`FROM scratch\n${line}\n`);
        }
        words = [];
        const directive = backtick ? "# escape=`\n" : "";
        cases.push({ index, dockerfile: directive + stages.join(""), currentRuleOnly: stated.length > 0 ? [...new Set(stated)].join(", ") : undefined });
    }
    return cases;
}
