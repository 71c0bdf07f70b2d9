/**
 * The DOM ids a page script looks up, and those its HTML declares: a script that asks for an id
 * the HTML lacks breaks only in the browser, so the unit tests compare the two.
 */

/**
 * Ids passed as string literals to the lookups the page scripts use: `getElementById('x')`,
 * the scripts' own `$('x')`, `input('x')`, `button('x')`, `byId('x', …)`, and selectors that
 * start with an id, `querySelector('#x tbody')` or `$$('#x …')`, and the charts' hosts.
 */
export function idsUsedBy(script: string): string[] {
  const byId = /(?:\$|\bgetElementById|\binput|\bbutton|\bbyId)\('([\w-]+)'/g;
  const bySelector = /(?:\bquerySelector(?:All)?|\$\$)\('#([\w-]+)/g;
  // charts.js: chart(UPlot, 'chart-rate', …) draws into #chart-rate.
  const byChart = /\bchart\(UPlot, '([\w-]+)'/g;
  return [byId, bySelector, byChart].flatMap((re) =>
    [...script.matchAll(re)].map((m) => m[1] ?? ''),
  );
}

export function idsDeclaredIn(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([\w-]+)"/g)].map((m) => m[1] ?? ''));
}
