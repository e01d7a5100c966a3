/* global document, fetch */
// The page at GET /: plain ES module, no build step, no CDN. It runs under the service's
// Content-Security-Policy for the page (script-src 'self', style-src 'self'): no inline
// script or style; widths are set through the CSSOM (element.style), which CSP allows.

const form = document.getElementById('form');
const textsBox = document.getElementById('texts');
const explainBox = document.getElementById('explain');
const keyBox = document.getElementById('key');
const submit = document.getElementById('submit');
const errorBox = document.getElementById('error');
const statusLine = document.getElementById('status');
const results = document.getElementById('results');

/** Below this |contribution| a word is left plain; above, four strengths. */
const STRENGTHS = [0.05, 0.15, 0.35, 0.6];
const percent = (score) => `${(score * 100).toFixed(1)}%`;
const plural = (count, noun) => `${count} ${noun}${count === 1 ? '' : 's'}`;
const signed = (value) => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The texts in the box: one per line, blank lines skipped. */
function readTexts() {
  return textsBox.value
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '');
}

/** One readable line per item of FastAPI's `detail` (or its string form: 404, 405). */
function describeError(status, body, retryAfter) {
  const detail = body && body.detail;
  const items = Array.isArray(detail)
    ? detail.map((item) => {
        const where = Array.isArray(item.loc) ? item.loc.join('.') : '';
        return `${item.msg}${where ? ` (at ${where})` : ''} [${item.type}]`;
      })
    : [typeof detail === 'string' ? detail : 'The service answered with an error.'];
  const heading =
    status === 413
      ? 'Too much at once (413)'
      : status === 422
        ? 'The request was refused (422)'
        : status === 429
          ? `Too many requests (429)${retryAfter ? `: retry in ${retryAfter} s` : ''}`
          : `Error ${status}`;
  return { heading, items };
}

function showError(heading, items = []) {
  errorBox.replaceChildren(element('p', 'error-heading', heading));
  if (items.length > 0) {
    const list = element('ul');
    for (const item of items) list.append(element('li', undefined, item));
    errorBox.append(list);
  }
}

function clearError() {
  errorBox.replaceChildren();
}

/** The bars of one prediction: a label, a bar (decorative) and the score as text. */
function bars(prediction) {
  const list = element('dl', 'bars');
  prediction.forEach(({ label, score }, id) => {
    const row = element('div', 'bar-row');
    const value = element('dd');
    const track = element('span', 'bar');
    track.setAttribute('aria-hidden', 'true');
    const fill = element('span', `fill class-${id % 4}`);
    fill.style.width = `${score * 100}%`;
    track.append(fill);
    value.append(track, element('span', 'score', percent(score)));
    row.dataset.label = label;
    row.dataset.score = String(score);
    row.append(element('dt', undefined, label), value);
    list.append(row);
  });
  return list;
}

/**
 * The text with each word highlighted in the colour of the class it pushed up most, as strong
 * as that push; the strength and class are also in the word's text (read by screen readers)
 * and in its tooltip.
 */
function highlighted(text, explanation) {
  const labels = explanation.prediction.map((entry) => entry.label);
  const line = element('p', 'explained');
  let at = 0;
  for (const word of explanation.words) {
    line.append(text.slice(at, word.start));
    const [id, push] = labels
      .map((label, index) => [index, word.contributions[label]])
      .reduce((best, next) => (next[1] > best[1] ? next : best));
    const strength = STRENGTHS.filter((bound) => push >= bound).length;
    const span = element(
      'span',
      strength > 0 ? `word class-${id % 4} strength-${strength}` : 'word',
    );
    const summary = labels
      .map((label) => `${label} ${signed(word.contributions[label])}`)
      .join(', ');
    span.title = summary;
    span.dataset.word = word.word;
    span.dataset.contributions = JSON.stringify(word.contributions);
    span.append(word.word, element('span', 'visually-hidden', ` (${summary})`));
    line.append(span);
    at = word.end;
  }
  line.append(text.slice(at));
  return line;
}

/** A visible text alternative: the three words that moved the predicted class most. */
function topWords(explanation) {
  const best = explanation.prediction.reduce((a, b) => (b.score > a.score ? b : a));
  const ranked = [...explanation.words]
    .sort((a, b) => Math.abs(b.contributions[best.label]) - Math.abs(a.contributions[best.label]))
    .slice(0, 3)
    .map((w) => `“${w.word}” ${signed(w.contributions[best.label])}`);
  const note = explanation.truncated
    ? ` Only the first ${explanation.words.length} of ${explanation.total_words} words were explained.`
    : '';
  return element(
    'p',
    'top-words',
    `Moved ${best.label} most: ${ranked.join(', ') || 'no words'}.${note}`,
  );
}

function render(texts, predictions, explanations) {
  results.replaceChildren(
    ...texts.map((text, index) => {
      const item = element('li', 'result');
      const explanation = explanations && explanations[index];
      item.append(explanation ? highlighted(text, explanation) : element('p', 'text', text));
      item.append(bars(predictions[index]));
      if (explanation) item.append(topWords(explanation));
      return item;
    }),
  );
}

async function call(path, texts) {
  const headers = { 'content-type': 'application/json' };
  if (keyBox.value) headers.authorization = `Bearer ${keyBox.value}`;
  const response = await fetch(path, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text: texts }),
  });
  const body = await response.json().catch(() => undefined);
  return { response, body };
}

let busy = false;
async function classify() {
  if (busy) return;
  const texts = readTexts();
  clearError();
  if (texts.length === 0) {
    showError('Nothing to classify: type at least one text, one per line.');
    textsBox.focus();
    return;
  }
  const explain = explainBox.checked;
  busy = true;
  submit.setAttribute('aria-disabled', 'true');
  form.setAttribute('aria-busy', 'true');
  statusLine.textContent = `${explain ? 'Explaining' : 'Classifying'} ${plural(texts.length, 'text')}…`;
  try {
    const { response, body } = await call(explain ? '/explain' : '/predict', texts);
    if (!response.ok) {
      const { heading, items } = describeError(
        response.status,
        body,
        response.headers.get('retry-after'),
      );
      showError(heading, items);
      statusLine.textContent = 'The last request failed; see the error above.';
      return;
    }
    const predictions = explain ? body.explanations.map((e) => e.prediction) : body.predictions;
    render(texts, predictions, explain ? body.explanations : undefined);
    statusLine.textContent = `${plural(texts.length, 'result')}${explain ? ', with explanations' : ''}.`;
  } catch (error) {
    showError('The service could not be reached.', [
      String(error instanceof Error ? error.message : error),
    ]);
    statusLine.textContent = 'The last request failed; see the error above.';
  } finally {
    busy = false;
    submit.removeAttribute('aria-disabled');
    form.removeAttribute('aria-busy');
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void classify();
});
// Enter adds a line (one text per line); Ctrl+Enter (⌘+Enter) submits from the box.
textsBox.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void classify();
  }
});
document.documentElement.dataset.ready = 'true';
