// `node dist/bench/apply-only.js` (root, under the lab lock): only the apply bench (the machine is shared).
import { benchApply } from './apply.js';

benchApply();
