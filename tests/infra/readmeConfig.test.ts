import * as fs from "node:fs";
import * as path from "node:path";

import { z } from "zod";

import { SECRET_KEYS, stackConfigSchema } from "../../infra/config/stackConfig";
import { REPO_ROOT } from "./projectFixture";

function unwrap(schema: z.ZodType): z.ZodType {
    let current = schema;
    while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) current = current.unwrap() as z.ZodType;
    return current;
}

/** Every key the schema accepts: top-level keys, and an object's keys as `a.b` (one level, as set with --path). */
function schemaKeys(): string[] {
    const keys: string[] = [];
    for (const [key, schema] of Object.entries(stackConfigSchema.shape)) {
        const inner = unwrap(schema as z.ZodType);
        if (inner instanceof z.ZodObject) keys.push(...Object.keys(inner.shape).map((child) => `${key}.${child}`));
        else keys.push(key);
    }
    return [...keys, ...SECRET_KEYS].map((key) => `ragstar:${key}`).sort();
}

/** The keys in the first column of the README's "Stack config reference" table. */
function readmeKeys(): string[] {
    const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const section = readme.split("## Stack config reference")[1].split("\n### ")[0];
    return [...section.matchAll(/^\| `(ragstar:[^`]+)` \|/gm)].map((match) => match[1]).sort();
}

test("the README's stack config table lists exactly the keys the schema accepts", () => {
    const [schema, readme] = [schemaKeys(), readmeKeys()];
    expect({ missingFromReadme: schema.filter((k) => !readme.includes(k)), notInSchema: readme.filter((k) => !schema.includes(k)) }).toEqual({ missingFromReadme: [], notInSchema: [] });
    expect(schema).toContain("ragstar:kubernetes.context");
});
