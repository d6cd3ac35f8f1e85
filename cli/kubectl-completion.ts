import { runCli } from "./program.js";

// kubectl runs `kubectl_complete-steward __complete WORDS...` and reads cobra's format back.
const words = process.argv.slice(2).filter((word, index) => !(index === 0 && word === "__complete"));
process.exitCode = await runCli(["completion", "__complete", "--cobra", "--", ...words]);
