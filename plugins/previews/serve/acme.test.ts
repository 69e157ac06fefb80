import { describe, expect, test } from "bun:test";
import { classify, Http01Answers } from "./acme.ts";

describe("HTTP-01 answers", () => {
  test("a pending token is answered for its own host only", () => {
    const a = new Http01Answers();
    a.set("tok", "feat.p.test", "tok.thumb");
    expect(a.answer("feat.p.test", "tok")).toBe("tok.thumb");
    expect(a.answer("other.p.test", "tok")).toBeNull();
    expect(a.answer("feat.p.test", "nope")).toBeNull();
    a.delete("tok");
    expect(a.answer("feat.p.test", "tok")).toBeNull();
  });
});

describe("ACME failures", () => {
  test("no answer from the CA is E_PREVIEWS_ACME_UNREACHABLE", () => {
    const e = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(classify(e, "account").code).toBe("E_PREVIEWS_ACME_UNREACHABLE");
    expect(classify(e, "account").message).toContain("ECONNREFUSED");
  });

  test("a rate limit is E_PREVIEWS_ACME_RATE_LIMITED with the CA's words", () => {
    const http = Object.assign(new Error("Request failed with status code 429"), {
      code: "ERR_BAD_REQUEST",
      response: {
        status: 429,
        data: { type: "urn:ietf:params:acme:error:rateLimited", detail: "too many new orders recently" },
      },
    });
    expect(classify(http, "order").code).toBe("E_PREVIEWS_ACME_RATE_LIMITED");
    expect(classify(http, "order").message).toContain("too many new orders recently");
    // acme-client turns a final refusal into a plain Error carrying the CA's detail.
    const plain = new Error("Error creating new order :: too many certificates (5) already issued");
    expect(classify(plain, "order").code).toBe("E_PREVIEWS_ACME_RATE_LIMITED");
  });

  test("a refusal while the challenge is checked is E_PREVIEWS_ACME_CHALLENGE, elsewhere E_PREVIEWS_ACME", () => {
    const e = new Error("dial tcp 127.0.0.2:80: connect: connection refused");
    expect(classify(e, "challenge").code).toBe("E_PREVIEWS_ACME_CHALLENGE");
    expect(classify(new Error("Order is not ready"), "finalize").code).toBe("E_PREVIEWS_ACME");
  });
});

describe("DNS-01 failures", () => {
  test("the CA refusing the TXT record is E_PREVIEWS_ACME_DNS_CHALLENGE with its words", () => {
    const e = new Error("No TXT record found at _acme-challenge.preview.test");
    const f = classify(e, "dns-challenge");
    expect(f.code).toBe("E_PREVIEWS_ACME_DNS_CHALLENGE");
    expect(f.message).toContain("_acme-challenge.preview.test");
  });
});
