/**
 * The arithmetic of the rollout benchmark (`bench:rollout`), pure: medians and the longest outage
 * a client saw while polling, and the CRI log's timestamps. Times are Unix ns (bigint) as infra/tools/node/probeTiming.ts stamps them.
 */

/** One poll of the Service: when it was sent and whether it answered 200 in time. */
export interface Poll {
    atNs: bigint;
    ok: boolean;
    /** Why it failed: `HTTP <status>`, or the client's error code (ECONNREFUSED, TimeoutError, ...). */
    detail?: string;
}

/** The longest run of failed polls: how many, and the time from the last success before it to the first after it. */
export interface Outage {
    failedPolls: number;
    /** Last ok poll before the run → first ok poll after it (ns); 0 when no poll failed. */
    gapNs: bigint;
    /** When the run started (the first failed poll, ns); null when no poll failed. */
    fromNs: bigint | null;
}

/**
 * The longest run of consecutive failures in `polls` (sorted by time here), bracketed by successes.
 * A run at either end has no success on that side: the gap then runs to the first or last poll.
 *
 * @throws RangeError when there are no polls
 */
export function longestOutage(polls: Poll[]): Outage {
    if (polls.length === 0) throw new RangeError("no polls to measure an outage from");
    const sorted = [...polls].sort((a, b) => (a.atNs < b.atNs ? -1 : a.atNs > b.atNs ? 1 : 0));
    let best: Outage = { failedPolls: 0, gapNs: 0n, fromNs: null };
    for (let i = 0; i < sorted.length; ) {
        if (sorted[i].ok) {
            i++;
            continue;
        }
        let j = i;
        while (j < sorted.length && !sorted[j].ok) j++;
        const before = i > 0 ? sorted[i - 1].atNs : sorted[i].atNs;
        const after = j < sorted.length ? sorted[j].atNs : sorted[j - 1].atNs;
        if (j - i > best.failedPolls) best = { failedPolls: j - i, gapNs: after - before, fromNs: sorted[i].atNs };
        i = j;
    }
    return best;
}

/** The median of `values` (the mean of the middle two for an even count). @throws RangeError when empty */
export function median(values: number[]): number {
    if (values.length === 0) throw new RangeError("median of no values");
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** ns → seconds, rounded to ms. */
export function seconds(ns: bigint): number {
    return Math.round(Number(ns) / 1e6) / 1e3;
}

/**
 * An RFC 3339 UTC time with up to 9 fraction digits (the CRI log's `--timestamps`) → Unix ns; `Date`
 * alone keeps only ms. @throws Error when the text is not such a time
 */
export function rfc3339Ns(text: string): bigint {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
    if (!m || Number.isNaN(Date.parse(`${m[1]}Z`))) throw new Error(`not an RFC 3339 UTC time: ${text}`);
    return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}
