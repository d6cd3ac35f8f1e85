#!/usr/bin/env node
// kubectl plugin entry: `kubectl steward ...` is `steward ...`.
import "../dist/cli/main.js";
