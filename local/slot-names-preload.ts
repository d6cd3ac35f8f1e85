/**
 * `node --import <this file, compiled>`: a child Node process resolves its parent's local
 * cluster names (slot-names.ts) from the first connection on.
 */
import { installSlotLookup, SLOT_ENV } from "./slot-names.js";

const slot = process.env[SLOT_ENV];
if (slot !== undefined && slot !== "") installSlotLookup(Number(slot));
