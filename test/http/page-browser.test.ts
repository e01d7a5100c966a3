import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { build, type TestApp } from '../helper.js';
import { BrowserPage, HOST_NAME, skipWithoutChromium } from './chromium.js';

type LabelScore = { label: string; score: number };
interface Bar {
  label: string;
  text: string;
  ratio: number;
}
interface Highlight {
  word: string;
  className: string;
  contributions: Record<string, number>;
  spoken: string;
}

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url));
/**
 * A screenshot of the page; written to docs/images (the README's) only with
 * UPDATE_SCREENSHOTS=1, so a test run leaves the tree as it was.
 */
async function snapshot(page: BrowserPage, name: string): Promise<void> {
  const png = await page.screenshot();
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync(IMAGES, { recursive: true });
  writeFileSync(`${IMAGES}${name}`, png);
}

const TEXTS = ['I hate this movie', 'What a wonderful film'];

const api = async (t: TestApp, url: string, texts: string[]) =>
  (
    await t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ text: texts }),
    })
  ).json();

/** Each result's bars as the page shows them: label, score text, fill width ÷ track width. */
const READ_BARS = `[...document.querySelectorAll('#results .result')].map((item) =>
  [...item.querySelectorAll('.bar-row')].map((row) => ({
    label: row.querySelector('dt').textContent,
    text: row.querySelector('.score').textContent,
    ratio: row.querySelector('.fill').getBoundingClientRect().width /
      row.querySelector('.bar').getBoundingClientRect().width,
  })))`;

const READ_WORDS = `[...document.querySelectorAll('#results .result')].map((item) =>
  [...item.querySelectorAll('.explained .word')].map((span) => ({
    word: span.dataset.word,
    className: span.className,
    contributions: JSON.parse(span.dataset.contributions),
    spoken: span.textContent,
  })))`;

describe('the page at / in a real headless Chromium', { skip: skipWithoutChromium() }, () => {
  test('classify two lines, explain them, show an error: bars and highlights match the API, no CSP violation', async (t) => {
    const service = await build(t, { MAX_TEXTS_PER_REQUEST: '3', EXPLAIN_MAX_TEXTS: '3' });
    await service.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = service.app.server.address() as { port: number };
    const page = await BrowserPage.open(900, 700);
    t.after(() => page.close());
    await page.goto(`http://${HOST_NAME}:${port}/`);
    await page.waitFor('document.documentElement.dataset.ready === "true"', 'the page script');

    // Keyboard: the focus order is the reading order.
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.press('Tab');
      order.push(
        await page.evaluate('document.activeElement.id || document.activeElement.tagName'),
      );
    }
    assert.deepEqual(order, ['A', 'texts', 'explain', 'submit', 'SUMMARY']);
    // Labels and live regions.
    assert.equal(
      await page.evaluate('document.getElementById("texts").labels[0].textContent'),
      'Texts, one per line',
    );
    assert.equal(await page.evaluate('document.getElementById("explain").labels.length'), 1);
    assert.equal(
      await page.evaluate('document.getElementById("status").getAttribute("aria-live")'),
      'polite',
    );
    assert.equal(
      await page.evaluate('document.getElementById("error").getAttribute("role")'),
      'alert',
    );

    // Type two lines and submit with Ctrl+Enter from the box.
    await page.evaluate(
      'document.getElementById("texts").focus(), document.getElementById("texts").select()',
    );
    await page.type(TEXTS.join('\n'));
    await page.press('Enter', 2);
    await page.waitFor('document.querySelectorAll("#results .result").length === 2', 'two results');
    const { predictions } = (await api(service, '/predict', TEXTS)) as {
      predictions: LabelScore[][];
    };
    const bars = await page.evaluate<Bar[][]>(READ_BARS);
    bars.forEach((rows, i) => {
      const expected = predictions[i] as LabelScore[];
      assert.deepEqual(
        rows.map((r) => r.label),
        expected.map((p) => p.label),
      );
      rows.forEach((row, j) => {
        const score = (expected[j] as LabelScore).score;
        assert.equal(row.text, `${(score * 100).toFixed(1)}%`);
        assert.ok(
          Math.abs(row.ratio - score) < 0.01,
          `${row.label}: width ${row.ratio} vs ${score}`,
        );
      });
    });
    assert.match(
      await page.evaluate<string>('document.getElementById("status").textContent'),
      /2 result/,
    );
    await snapshot(page, 'page.png');

    // The explanation, asked for with the checkbox (Space) and the button (Enter).
    await page.evaluate('document.getElementById("explain").focus()');
    await page.press(' ');
    assert.equal(await page.evaluate('document.getElementById("explain").checked'), true);
    await page.press('Tab');
    await page.press('Enter');
    await page.waitFor(
      'document.querySelectorAll("#results .explained .word").length === 8',
      'highlighted words',
    );
    const { explanations } = (await api(service, '/explain', TEXTS)) as {
      explanations: { words: { word: string; contributions: Record<string, number> }[] }[];
    };
    const words = await page.evaluate<Highlight[][]>(READ_WORDS);
    words.forEach((spans, i) => {
      const expected = (explanations[i] as (typeof explanations)[0]).words;
      assert.deepEqual(
        spans.map((s) => s.word),
        expected.map((w) => w.word),
      );
      spans.forEach((span, j) => assert.deepEqual(span.contributions, expected[j]?.contributions));
    });
    // "hate" is the strongest push to NEGATIVE (class 0), in its colour; the value is in its text.
    const hate = words[0]?.[1] as Highlight;
    assert.match(hate.className, /class-0 strength-4/);
    assert.match(hate.spoken, /^hate \(NEGATIVE \+0\.\d\d, POSITIVE −0\.\d\d\)$/);
    assert.match(words[1]?.[2]?.className ?? '', /class-1/, '"wonderful" in POSITIVE\'s colour');
    assert.match(
      await page.evaluate<string>('document.querySelector(".top-words").textContent'),
      /^Moved NEGATIVE most: “hate” \+0\.\d\d/,
    );
    await snapshot(page, 'page-explain.png');

    // Errors: more lines than MAX_TEXTS_PER_REQUEST (the API's 413), then nothing at all.
    await page.evaluate('document.getElementById("explain").click()');
    await page.evaluate(
      'document.getElementById("texts").focus(), document.getElementById("texts").select()',
    );
    await page.type('one\ntwo\nthree\nfour');
    await page.press('Enter', 2);
    await page.waitFor(
      'document.getElementById("error").textContent !== ""',
      'the 413 in the page',
    );
    const error = await page.evaluate<string>('document.getElementById("error").innerText');
    assert.match(error, /Too much at once \(413\)/);
    assert.match(error, /at most 3 items.*\(at body\.text\) \[too_long\]/);
    await snapshot(page, 'page-error.png');
    await page.evaluate('document.getElementById("texts").value = "  \\n"');
    await page.evaluate('document.getElementById("submit").click()');
    await page.waitFor(
      '/Nothing to classify/.test(document.getElementById("error").textContent)',
      'the empty-input message',
    );

    const violations = page.logs.filter((line) => /Content Security Policy|exception/i.test(line));
    assert.deepEqual(violations, [], 'no CSP violation, no uncaught exception');
    // Control: the same collection does see a violation (an inline script) when there is one.
    await page.evaluate(
      'document.body.append(Object.assign(document.createElement("script"), { textContent: "1" }))',
    );
    await page.waitFor('true', 'a tick');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(
      page.logs.some((line) => /Content Security Policy/.test(line)),
      page.logs.join('\n'),
    );
  });
});

describe('the page and access control', () => {
  test('with API keys on, the page and its files need no key; its calls still do', async (t) => {
    const key = 'page-test-key';
    const service = await build(t, {
      API_KEYS_SHA256: createHash('sha256').update(key).digest('hex'),
    });
    for (const url of ['/', '/page/page.js', '/page/page.css']) {
      const res = await service.app.inject({ url, headers: { 'sec-fetch-site': 'none' } });
      assert.equal(res.statusCode, 200, url);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /style-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline/);
    }
    assert.match(
      String((await service.app.inject({ url: '/page/page.js' })).headers['content-type']),
      /^text\/javascript/,
    );
    const denied = await service.app.inject({
      method: 'POST',
      url: '/explain',
      payload: { text: ['x'] },
    });
    assert.equal(denied.statusCode, 401);
    const allowed = await service.app.inject({
      method: 'POST',
      url: '/explain',
      headers: { authorization: `Bearer ${key}`, 'sec-fetch-site': 'same-origin' },
      payload: { text: ['x'] },
    });
    assert.equal(allowed.statusCode, 200);
    const foreign = await service.app.inject({
      method: 'POST',
      url: '/explain',
      headers: { authorization: `Bearer ${key}`, 'sec-fetch-site': 'cross-site' },
      payload: { text: ['x'] },
    });
    assert.equal(foreign.statusCode, 403, 'another site cannot spend explanations');
  });
});
