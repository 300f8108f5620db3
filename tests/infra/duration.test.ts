import { DurationSyntaxError, formatDuration, parseGoDuration } from "../../infra/dockerfile/duration";

describe("parseGoDuration (Go time.ParseDuration)", () => {
    test.each([
        ["0", 0n],
        ["+0", 0n],
        ["-0", 0n],
        ["30s", 30_000_000_000n],
        ["1m30s", 90_000_000_000n],
        ["1.5h", 5_400_000_000_000n],
        ["1h1m1s1ms1us1ns", 3_661_001_001_001n],
        ["300ms", 300_000_000n],
        ["2us", 2_000n],
        ["2\u00b5s", 2_000n],
        ["2\u03bcs", 2_000n],
        ["10ns", 10n],
        [".5s", 500_000_000n],
        ["5.s", 5_000_000_000n],
        ["0.1s", 100_000_000n],
        ["1.000000001s", 1_000_000_001n],
        ["-3s", -3_000_000_000n],
        ["0s", 0n],
        ["9223372036854775807ns", 9_223_372_036_854_775_807n],
    ])("%s = %s ns", (text, expected) => {
        expect(parseGoDuration(text)).toBe(expected);
    });

    test.each([
        ["", "time: invalid duration \"\""],
        ["30", "time: missing unit in duration \"30\""],
        ["1.5", "time: missing unit in duration \"1.5\""],
        ["s", "time: invalid duration \"s\""],
        [".s", "time: invalid duration \".s\""],
        ["3d", "time: unknown unit \"d\" in duration \"3d\""],
        ["3 s", "time: unknown unit \" s\" in duration \"3 s\""],
        ["1S", "time: unknown unit \"S\" in duration \"1S\""],
        ["9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""],
        ["3000000h", "time: invalid duration \"3000000h\""],
        ["--1s", "time: invalid duration \"--1s\""],
    ])("%j is rejected", (text, message) => {
        expect(() => parseGoDuration(text)).toThrow(DurationSyntaxError);
        expect(() => parseGoDuration(text)).toThrow(message);
    });

    test("formatDuration picks the largest exact unit", () => {
        expect(formatDuration(30_000_000_000n)).toBe("30s");
        expect(formatDuration(1_500_000n)).toBe("1500000ns");
        expect(formatDuration(1_000_000n)).toBe("1ms");
    });
});
