import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Engine-neutral code never reaches into an engine's folder (operators/<engine>/) and never
// names an engine: engines plug in through the registry (operators/engines.ts), which the entry
// points hand down. backup/ and shared/ sit below operators/ and import nothing from it; cli/
// is an entry point and may import the registry and the operator's assembly, not a folder.
const ENGINE_NAME = /^(mysql|mariadb|mongodb|redis|rabbitmq)$/.source;
const anyOperators = /(^|\/)operators\//.source;
const operatorFolder = /(^|\/)operators\/[^/]+\//.source;

function boundary(forbidden, what) {
  const message = `engine-neutral code must not import ${what}: take what you need from the engine registry (operators/engines.ts) through your caller`;
  return {
    "no-restricted-imports": ["error", { patterns: [{ regex: forbidden, message }] }],
    "no-restricted-syntax": [
      "error",
      { selector: `ImportExpression[source.value=/${forbidden}/]`, message },
      { selector: `Literal[value=/${ENGINE_NAME}/]`, message: "engine-neutral code must not switch on an engine's name: use the engine's plugin (capabilities, facets) instead" },
    ],
  };
}

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "console/web/dist/", "crds/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  { files: ["backup/**/*.ts", "shared/**/*.ts", "catalog/**/*.ts"], rules: boundary(anyOperators, "anything under operators/") },
  { files: ["cli/**/*.ts"], rules: boundary(operatorFolder, "an engine's folder (operators/<engine>/)") },
  // The API itself lists the engines (the enum and its per-engine defaults), and tests feed it examples.
  { files: ["shared/api/**/*.ts", "**/*.test.ts"], rules: { "no-restricted-syntax": "off" } },
);
