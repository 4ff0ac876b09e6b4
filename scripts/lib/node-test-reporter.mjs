// A reporter for node's test runner (`--test-reporter=<this file>`): one JSON line per finished
// test or suite, which scripts/test-all.mjs reads instead of the people-facing text output.
export default async function* jsonLines(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, skip, todo, details } = event.data;
    const result = event.type === 'test:fail' ? 'fail' : 'pass';
    yield `${JSON.stringify({ result, kind: details?.type === 'suite' ? 'suite' : 'test', name, nesting, file: file ?? null, skip: skip !== undefined && skip !== false, todo: todo !== undefined && todo !== false })}\n`;
  }
}
