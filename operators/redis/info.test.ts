import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatPosition, parseInfo, parsePosition, parseReplicaLink } from "./info.js";

const recorded = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8");

describe("parseInfo on INFO server replication persistence recorded from redis-server 7.0.15", () => {
  it("reads a primary with its write quorum and the replica it lists", () => {
    const facts = parseInfo(recorded("info-primary.txt"));
    expect(facts).toMatchObject({
      version: "7.0.15",
      role: "master",
      replid: "a0c54e460e905c4e0521f93117d0ee1c8aa4746d",
      replid2: "7317cf6a0c50369794ac3ffc5ea0e17a7cd8b868",
      secondOffset: 2457,
      offset: 2764,
      goodReplicas: 1,
      failoverState: "no-failover",
      loading: false,
      aofEnabled: true,
      lastBgsaveOk: true,
      lastAofWriteOk: true,
    });
    expect(facts.replicas).toEqual([{ host: "127.0.77.2", port: 6379, state: "online", ackedOffset: 2764, lagSeconds: 1 }]);
    expect(facts.masterHost).toBeUndefined();
  });

  it("reads a replica's link to its primary and its offset", () => {
    const facts = parseInfo(recorded("info-replica.txt"));
    expect(facts).toMatchObject({ role: "slave", masterHost: "127.0.77.1", masterPort: 6379, linkUp: true, syncInProgress: false, offset: 2764, replid: "a0c54e460e905c4e0521f93117d0ee1c8aa4746d" });
    expect(facts.replicas).toEqual([]);
    expect(facts.goodReplicas).toBeUndefined();
  });

  it("reads a loading instance whose link is down", () => {
    const facts = parseInfo("# Replication\r\nrole:slave\r\nmaster_host:db-0.db-headless.ns.svc.cluster.local\r\nmaster_port:6379\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\nmaster_last_io_seconds_ago:-1\r\nmaster_repl_offset:0\r\n# Persistence\r\nloading:1\r\n");
    expect(facts).toMatchObject({ role: "slave", masterHost: "db-0.db-headless.ns.svc.cluster.local", linkUp: false, syncInProgress: true, loading: true, lastIoSecondsAgo: -1 });
  });

  it("refuses a reply without a role", () => {
    expect(() => parseInfo("# Server\r\nredis_version:7.0.15\r\n")).toThrow(/role/);
  });

  it("parses replica lines that announce DNS names", () => {
    expect(parseReplicaLink("ip=db-1.db-headless.ns.svc.cluster.local,port=6379,state=wait_bgsave,offset=0,lag=0")).toEqual({
      host: "db-1.db-headless.ns.svc.cluster.local",
      port: 6379,
      state: "wait_bgsave",
      ackedOffset: 0,
      lagSeconds: 0,
    });
  });
});

describe("positions in status", () => {
  it("round-trip replid:offset and reject anything else", () => {
    const text = formatPosition("a0c54e460e905c4e0521f93117d0ee1c8aa4746d", 2764);
    expect(parsePosition(text)).toEqual({ replid: "a0c54e460e905c4e0521f93117d0ee1c8aa4746d", offset: 2764 });
    expect(parsePosition("0-1-12")).toBeUndefined();
    expect(parsePosition(undefined)).toBeUndefined();
  });
});
