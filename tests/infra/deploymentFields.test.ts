/**
 * docs/deployment-fields.md: every field of every committed Deployment render has a row naming
 * the module that decides it and the page (and section) that explains the rule, and every row
 * names things that exist.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { parse } from "yaml";

import { REPO_ROOT } from "./projectFixture";

const PAGE = path.join(REPO_ROOT, "docs/deployment-fields.md");

interface Row {
    field: string;
    module: string;
    page: string;
    anchor?: string;
}

function rows(): Row[] {
    return fs
        .readFileSync(PAGE, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => {
            const cells = line.split(" | ");
            const link = /\]\(([^)#]+)(?:#([^)]+))?\)/.exec(cells[3]);
            if (!link) throw new Error(`no page link in row ${line}`);
            return { field: cells[0].replace(/^\| `|`$/g, ""), module: cells[2].replace(/`/g, ""), page: link[1], anchor: link[2] };
        });
}

/** Leaf field paths of an object, list items named by their `name` (else their index). */
function leafPaths(value: unknown, prefix = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((item, i) => leafPaths(item, `${prefix}[${(item as { name?: string })?.name ?? i}]`));
    if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, v]) => leafPaths(v, prefix ? `${prefix}.${key}` : key));
    return [prefix];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
    return heading.toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

const covers = (field: string, leaf: string) => leaf === field || leaf.startsWith(`${field}.`) || leaf.startsWith(`${field}[`);

describe("docs/deployment-fields.md", () => {
    const table = rows();
    const stacks = fs.readdirSync(path.join(REPO_ROOT, "rendered"));
    const leaves = [...new Set(stacks.flatMap((stack) => leafPaths(parse(fs.readFileSync(path.join(REPO_ROOT, "rendered", stack, "deployment-ragstar.yaml"), "utf8")))))];

    it("reads the table and the renders", () => {
        expect(stacks).toEqual(expect.arrayContaining(["dev", "staging", "prod"]));
        expect(table.length).toBeGreaterThan(20);
        expect(leaves).toContain("spec.template.spec.containers[ragstar].startupProbe.failureThreshold");
    });

    it("has a row for every rendered field", () => {
        expect(leaves.filter((leaf) => !table.some((row) => covers(row.field, leaf)))).toEqual([]);
    });

    it("names modules that exist", () => {
        expect(table.filter((row) => !fs.existsSync(path.join(REPO_ROOT, row.module))).map((row) => row.module)).toEqual([]);
    });

    it("links pages and sections that exist", () => {
        const missing = table.filter((row) => {
            const page = path.join(REPO_ROOT, "docs", row.page);
            if (!fs.existsSync(page)) return true;
            if (row.anchor === undefined) return false;
            const anchors = fs.readFileSync(page, "utf8").split("\n").filter((l) => /^#+ /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, "")));
            return !anchors.includes(row.anchor);
        });
        expect(missing.map((row) => `${row.page}#${row.anchor}`)).toEqual([]);
    });

    it("would report a field without a row", () => {
        expect(covers("spec.template.spec.volumes", "spec.template.spec.volumes[tmp].emptyDir.sizeLimit")).toBe(true);
        expect(covers("spec.template.spec.volumes", "spec.template.spec.volumesExtra")).toBe(false);
    });
});
