/**
 * Setup file of the "cluster" project: the test process resolves the cluster's names from its
 * own slot's block of the host's /etc/hosts (see local/slot-names.ts), so a file's in-process
 * operator reaches this cluster's S3 server even while another local cluster runs on the machine.
 */
import { inject } from "vitest";
import { installSlotLookup } from "../../local/slot-names.js";

installSlotLookup(inject("slot"));
