// Cross-host plans: the routes to add on each host, what must hold first, and the predicted effect.
import { z } from 'zod';
import { PlanStep } from './changes.js';

export const Prerequisite = z.object({
  host: z.string(),
  kind: z.enum(['bip', 'network-subnet', 'no-shared-lan', 'docker28-direct-routing']),
  disruptive: z.boolean(),
  message: z.string(),
  commands: z.array(z.string()),
});
export type Prerequisite = z.infer<typeof Prerequisite>;

/**
 * The most steps one host of a plan is sent (the agent refuses more): what a plan the planner is meant for makes, with
 * room: 5,000 hosts with two subnets each, accepts in filter and raw, give each host 9,998 routes, 19,996 accepts and a
 * sysctl (29,995). `netdiag apply` checks every host against it before it changes any.
 */
export const PLAN_HOST_STEPS_MAX = 32_768;
/** The apply body's bytes at most (the agent's bodyLimit on that route alone): that many steps at 320 bytes each. */
export const PLAN_APPLY_BODY_MAX = PLAN_HOST_STEPS_MAX * 320;

const Counts = z.object({ reachable: z.number().int(), blocked: z.number().int(), unknown: z.number().int() });

export const Plan = z.object({
  schema: z.literal('netdiag/plan@1'),
  id: z.string().regex(/^pl-[0-9a-f]{8}$/),
  kind: z.literal('routes'),
  hosts: z.array(z.object({ name: z.string(), agent: z.string().nullable(), lan: z.string().nullable(), subnets: z.array(z.string()), steps: z.array(PlanStep) })),
  prerequisites: z.array(Prerequisite),
  notes: z.array(z.string()),
  predicted: z.object({ crossHostPairs: z.number().int(), before: Counts, after: Counts }),
});
export type Plan = z.infer<typeof Plan>;

/**
 * A routes plan as one shared table (netdiag/plan@2): on one LAN every host adds the same routes to the others and
 * accepts the same sources, so the per-host form repeats the table N times (N² steps: 100 million at 5,000 hosts).
 * Each host says what it offers the others (`reach`) and how it takes theirs (`takes`); expanding it (rules/plan/
 * shared-plan.ts) gives every host exactly the steps, in the order, the per-host form would.
 */
export const SharedPlan = z.object({
  schema: z.literal('netdiag/plan@2'),
  id: z.string().regex(/^pl-[0-9a-f]{8}$/),
  kind: z.literal('routes'),
  hosts: z.array(
    z.object({
      name: z.string(),
      agent: z.string().nullable(),
      lan: z.string().nullable(),
      subnets: z.array(z.string()),
      /** Its own steps, before those it takes from the table (ip_forward). */
      steps: z.array(PlanStep),
      /** What every other host adds to reach it: a route to each of `routes` via `via`, and accepts for `sources`. */
      reach: z.object({ via: z.string(), routes: z.array(z.string()), sources: z.array(z.string()) }),
      /**
       * How it takes the others': their routes on `dev`, their sources accepted on `iface` in each of `tables`
       * (filter DOCKER-USER, raw PREROUTING), less the routes it has already or cannot take (`skipRoutes`: overlapping
       * its own subnets) and the accepts for its subnets a peer's own overlap (`skipAccepts`).
       */
      takes: z.object({ dev: z.string(), iface: z.string(), tables: z.array(z.enum(['filter', 'raw'])), skipRoutes: z.array(z.string()), skipAccepts: z.array(z.object({ from: z.string(), dst: z.string() })) }),
    }),
  ),
  prerequisites: z.array(Prerequisite),
  notes: z.array(z.string()),
  predicted: z.object({ crossHostPairs: z.number().int(), before: Counts, after: Counts }),
});
export type SharedPlan = z.infer<typeof SharedPlan>;

/** A plan file as written: host by host (plan@1), or as one shared table (plan@2). */
export const PlanFile = z.discriminatedUnion('schema', [Plan, SharedPlan]);
export type PlanFile = z.infer<typeof PlanFile>;

