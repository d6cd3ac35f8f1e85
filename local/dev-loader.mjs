// Lets Node run the local cluster from its TypeScript sources (tests, development without a
// build): `node --experimental-transform-types --import ./local/dev-loader.mjs local/daemon.ts`.
// Sources import each other as "./x.js" (what tsc wants); this resolves those to "./x.ts".
import { registerHooks } from "node:module";

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (/^(\.{1,2}\/|\/|file:)/.test(specifier) && specifier.endsWith(".js")) return nextResolve(specifier.slice(0, -3) + ".ts", context);
      throw error;
    }
  },
});
