/**
 * The imports of a TypeScript file, read with the TypeScript parser (not a regular expression):
 * `import … from`, `export … from`, `require(…)` and `import(…)`. Used by the layout test (which
 * folder may import which) and the policy pack test (what the pack loads at run time).
 */
import * as fs from "node:fs";

import * as ts from "typescript";

/**
 * The module specifiers a file imports, in source order.
 *
 * @param file absolute path of a .ts file
 * @param options.types also list type-only imports (`import type`, `import { type A }`), which
 *   TypeScript erases; default false, the imports that load at run time
 */
export function moduleImports(file: string, options: { types?: boolean } = {}): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node) => {
        if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
            const clause = node.importClause;
            const bindings = clause?.namedBindings;
            // `import { type A, type B } from` is erased too (verbatimModuleSyntax aside).
            const onlyTypes = clause?.isTypeOnly || (!clause?.name && bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly));
            if (options.types || !onlyTypes) found.push(node.moduleSpecifier.text);
        } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
            if (options.types || !node.isTypeOnly) found.push(node.moduleSpecifier.text);
        } else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
            const [argument] = node.arguments;
            if (argument && ts.isStringLiteral(argument)) found.push(argument.text);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}
