import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FAULT_MATRIX_PATH, renderFaultMatrix } from '../test/fault-matrix/render';
import { FAULT_ROWS } from '../test/fault-matrix/rows';

/**
 * Writes docs/fault-matrix.md from the fault-matrix rows; `npm run fault-matrix`, then check it
 * in. The rows are asserted by test/integration/fault-matrix.test.ts, which also checks the file.
 */
writeFileSync(resolve(__dirname, '..', FAULT_MATRIX_PATH), renderFaultMatrix(FAULT_ROWS));
console.log(`wrote ${FAULT_MATRIX_PATH}`);
