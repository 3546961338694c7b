// `node dist/bench/plan-only.js`: only the plan bench (the machine is shared; `npm run bench` runs everything).
import { benchPlan } from './plan.js';

benchPlan();
