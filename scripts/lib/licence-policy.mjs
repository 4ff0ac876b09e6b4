// Whether a package's declared licence is on the allow-list: the SPDX expression is parsed with
// spdx-expression-parse and checked with spdx-satisfies (every AND part must be allowed, at least
// one OR alternative), so `(MIT OR Apache-2.0) AND GPL-3.0` is refused.
import parse from 'spdx-expression-parse';
import satisfies from 'spdx-satisfies';

/** 'allowed', 'refused' or 'invalid' (not an SPDX expression, e.g. "Public Domain" or "UNKNOWN"). */
export function licenceVerdict(expression, allowed) {
  try {
    parse(expression);
  } catch {
    return 'invalid';
  }
  return satisfies(expression, allowed) ? 'allowed' : 'refused';
}

/** True if the text is a valid SPDX licence expression. */
export function isSpdxExpression(expression) {
  try {
    parse(expression);
    return true;
  } catch {
    return false;
  }
}

/** The licence ids an SPDX expression names, in order. */
export function licenceIds(expression) {
  const ids = [];
  const walk = (node) => {
    if (node.license) ids.push(node.license);
    else {
      walk(node.left);
      walk(node.right);
    }
  };
  walk(parse(expression));
  return ids;
}
