import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { StreamingTokenCounter } from "./streaming-token-counter.ts";
import { countTextTokens } from "./token-count.ts";

/** Pieces that stress the pre-token rules: digits, contractions, case changes, whitespace runs, CJK, emoji. */
const piece = fc.constantFrom(
  "a",
  "A",
  "hello",
  "World",
  "don",
  "'",
  "t",
  "'s",
  "LL",
  "1",
  "23",
  "4567",
  " ",
  "  ",
  "\n",
  "\r\n",
  "\t",
  ".",
  "...",
  "!",
  "/",
  "(",
  ")",
  "{",
  '"',
  "é",
  "ü",
  "猫",
  "日本語",
  "😀",
  "👍🏽",
  "-",
  "_",
  "#",
  "`",
  "x",
);
const text = fc.array(piece, { minLength: 0, maxLength: 40 }).map((p) => p.join(""));

/** `s` cut at the given places (sorted, deduplicated, clamped) into consecutive deltas. */
function split(s: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const c of at) {
    out.push(s.slice(from, c));
    from = c;
  }
  out.push(s.slice(from));
  return out;
}

/** Pushes `deltas` within `budget` until one is cut; the counter and the text it let through. */
function pushWithin(deltas: string[], budget: number): { counter: StreamingTokenCounter; kept: string } {
  const counter = new StreamingTokenCounter();
  let kept = "";
  for (const d of deltas) {
    const k = counter.pushWithin(d, budget);
    kept += k;
    if (k !== d) break;
  }
  return { counter, kept };
}

describe("StreamingTokenCounter", () => {
  it("counts a text sent in any pieces exactly as the whole text", () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (s, cuts) => {
        const counter = new StreamingTokenCounter();
        for (const d of split(s, cuts)) counter.push(d);
        expect(counter.total).toBe(countTextTokens(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("counts known cases across delta boundaries", () => {
    const c = new StreamingTokenCounter();
    for (const d of ["I", " don", "'", "t kn", "ow 12", "345 ", " ", "ok"]) c.push(d);
    expect(c.total).toBe(countTextTokens("I don't know 12345  ok"));
  });

  it("keeps exactly the budget and cuts on a token boundary inside the delta that crosses it", () => {
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), fc.nat({ max: 30 }), (s, cuts, budget) => {
        const { counter, kept } = pushWithin(split(s, cuts), budget);
        expect(s.startsWith(kept)).toBe(true);
        expect(counter.total).toBe(countTextTokens(kept));
        expect(countTextTokens(kept)).toBeLessThanOrEqual(Math.max(budget, 0));
        // Nothing more fits: one more token would go past the budget. (Only checked for ASCII: a character
        // made of several tokens can leave the last token or two of the budget unused.)
        if (kept !== s && /^[ -~\t\n\r]*$/.test(s))
          expect(countTextTokens(kept)).toBeGreaterThanOrEqual(budget - 1);
      }),
      { numRuns: 2000 },
    );
  });

  it("cuts exactly where the budget ends also when it is near the answer's length (counted lazily until then)", () => {
    const long = fc.array(piece, { minLength: 50, maxLength: 400 }).map((p) => p.join(""));
    fc.assert(
      fc.property(
        long,
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.integer({ min: -8, max: 8 }),
        (s, cuts, slack) => {
          const whole = countTextTokens(s);
          const budget = Math.max(0, whole + slack);
          const { counter, kept } = pushWithin(split(s, cuts), budget);
          expect(s.startsWith(kept)).toBe(true);
          expect(counter.total).toBe(countTextTokens(kept));
          expect(countTextTokens(kept)).toBeLessThanOrEqual(budget);
          // Everything goes through when every text sent so far fits (a prefix can count more than the whole
          // text: "\r" then "\n" is two tokens, "\r\n" one).
          let sent = "";
          const fitsAll = split(s, cuts).every((d) => countTextTokens((sent += d)) <= budget);
          if (fitsAll) expect(kept).toBe(s);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("counts a long answer exactly, reading the total between deltas or only at the end", () => {
    const words = Array.from({ length: 12_000 }, (_, i) =>
      i % 7 === 0 ? " 1234" : i % 5 === 0 ? ",\n" : " word",
    );
    const whole = words.join("");
    const atEnd = new StreamingTokenCounter();
    const between = new StreamingTokenCounter();
    let seen = 0;
    for (const w of words) {
      atEnd.push(w);
      between.push(w);
      seen = Math.max(seen, between.total);
    }
    expect(whole.length).toBeGreaterThan(3 * 16 * 1024);
    expect(atEnd.total).toBe(countTextTokens(whole));
    expect(between.total).toBe(countTextTokens(whole));
    expect(seen).toBe(countTextTokens(whole));
  });

  it("cuts an English sentence at the token, not at four characters per token", () => {
    const c = new StreamingTokenCounter();
    const sentence = "The quick brown fox jumps over the lazy dog.";
    expect(c.pushWithin(sentence, 5)).toBe("The quick brown fox jumps");
    expect(c.total).toBe(5);
    expect(c.pushWithin(" more", 5)).toBe("");
  });

  it("never splits a character that spans several tokens", () => {
    const c = new StreamingTokenCounter();
    const kept = c.pushWithin("😀😀😀", 1);
    expect("😀😀😀".startsWith(kept)).toBe(true);
    expect(kept).not.toContain("\uFFFD");
  });
});
