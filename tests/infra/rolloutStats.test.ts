import { longestOutage, median, rfc3339Ns, seconds } from "../../infra/tools/node/rolloutStats";

const polls = (pattern: string, stepNs = 100_000_000n) => [...pattern].map((c, i) => ({ atNs: BigInt(i) * stepNs, ok: c === "o" }));

describe("longestOutage", () => {
    test("no failure: no outage", () => {
        expect(longestOutage(polls("oooo"))).toEqual({ failedPolls: 0, gapNs: 0n, fromNs: null });
    });
    test("the longest run wins; the gap runs from the success before it to the success after it", () => {
        // o x o x x x o: the run of 3 starts at poll 3 (300 ms); last ok at 200 ms, next ok at 600 ms.
        expect(longestOutage(polls("oxoxxxo"))).toEqual({ failedPolls: 3, gapNs: 400_000_000n, fromNs: 300_000_000n });
    });
    test("a run at the end is measured to the last poll; order of input does not matter", () => {
        expect(longestOutage(polls("ooxx").reverse())).toEqual({ failedPolls: 2, gapNs: 200_000_000n, fromNs: 200_000_000n });
    });
    test("no polls is an error", () => {
        expect(() => longestOutage([])).toThrow("no polls to measure an outage from");
    });
});

test("median: odd, even, unsorted; empty is an error", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow("median of no values");
});

test("seconds: ns to seconds rounded to ms", () => {
    expect(seconds(1_234_567_891n)).toBe(1.235);
    expect(seconds(-2_400_000n)).toBe(-0.002);
});

test("rfc3339Ns: keeps the nanoseconds Date drops; refuses other text", () => {
    expect(rfc3339Ns("2026-12-01T21:06:04.098123456Z")).toBe(1796159164098123456n);
    expect(rfc3339Ns("2026-12-01T21:06:04Z")).toBe(1796159164000000000n);
    expect(rfc3339Ns("2026-12-01T21:06:04.5Z")).toBe(1796159164500000000n);
    expect(() => rfc3339Ns("2026-12-01 21:06:04Z")).toThrow("not an RFC 3339 UTC time: 2026-12-01 21:06:04Z");
});
