#!/usr/bin/env node
// kubectl completes `kubectl steward ...` by running this as `kubectl_complete-steward __complete WORDS...`.
import "../dist/cli/kubectl-completion.js";
