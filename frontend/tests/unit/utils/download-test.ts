import { module, test } from 'qunit';
import { forExcel } from 'frontend/utils/download';

module('Unit | Utility | download', function () {
  test('for Excel: a UTF-8 byte order mark, CRLF line ends, the data and its `;` unchanged', function (assert) {
    const exact = 'group_id;score;class;potential\nKV00000001;87;A;12000\nKV0000000ä;5;D;0\n';
    const excel = forExcel(exact);
    assert.strictEqual(excel.charCodeAt(0), 0xfeff, 'starts with the byte order mark');
    assert.strictEqual(excel, '\uFEFFgroup_id;score;class;potential\r\nKV00000001;87;A;12000\r\nKV0000000ä;5;D;0\r\n');
    assert.strictEqual(forExcel(excel), excel, 'preparing twice changes nothing');
    assert.strictEqual(new TextEncoder().encode(excel).slice(0, 3).join(','), '239,187,191', 'UTF-8 encodes the mark as EF BB BF');
  });
});
